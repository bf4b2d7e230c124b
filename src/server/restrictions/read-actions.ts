/**
 * Host actions that only read: an action name alone where NocoBase serves it on every
 * collection, `resource:action` where one plugin serves it. Anything else counts as a write: an
 * action a plugin adds later is treated as one until it is listed here.
 */
export const READ_ACTIONS: Readonly<Record<string, string>> = {
  list: 'reads records',
  get: 'reads one record',
  count: 'counts records',
  query: 'aggregates records',
  export: 'reads records into a spreadsheet',
  getFile: 'downloads a stored file',
  'charts:queryData': 'a chart block’s query: aggregates records its role may read',
  'auth:check': 'says who the request acts for',
  'authenticators:publicList': 'the sign-in page’s methods, public',
  'roles:check': 'says what the key’s role may do',
  'storages:check': 'says where uploads go',
  'vditor:check': 'says where the Markdown editor’s uploads go',
  downloadXlsxTemplate: 'an import template, built from field metadata',
  'auth:checkLegacyFileAccess': 'says whether a file may be downloaded',
  'storages:getBasicInfo': 'says where uploads go',
  'asyncTasks:fetchFile': 'downloads the file an export job of the owner’s made',
  'pm:listEnabled': 'lists the enabled plugins',
  'pm:listEnabledV2': 'lists the enabled plugins',
  'app:getLang': 'the app’s language',
  'app:getInfo': 'the app’s public metadata',
  'app:getPortals': 'the app’s portals',
  'collections:listMeta': 'collection metadata',
  'dataSources:listEnabled': 'data source metadata',
  'swagger:getUrls': 'where the API documentation is',
  'customRequests:listByCurrentRole': 'lists the requests the role may send',
  'desktopRoutes:listAccessible': 'the menus the role may see',
  'desktopRoutes:getAccessible': 'a menu the role may see',
  'mobileRoutes:listAccessible': 'the mobile menus the role may see',
  'uiLayouts:listEnabled': 'interface metadata',
  'uiLayouts:listAccessible': 'interface metadata',
  'uiSchemas:getProperties': 'interface metadata',
  'uiSchemas:getJsonSchema': 'interface metadata',
  'uiSchemas:getParentJsonSchema': 'interface metadata',
  'flowModels:findOne': 'interface metadata',
  'flowSurfaces:catalog': 'interface metadata (one of the host’s read actions of flow surfaces)',
  'flowSurfaces:context': 'interface metadata (one of the host’s read actions of flow surfaces)',
  'flowSurfaces:describeSurface': 'interface metadata (one of the host’s read actions of flow surfaces)',
  'flowSurfaces:exportBlueprint': 'interface metadata (one of the host’s read actions of flow surfaces)',
  'flowSurfaces:listNavigationTargets': 'interface metadata (one of the host’s read actions of flow surfaces)',
  'flowSurfaces:getReactionMeta': 'interface metadata (one of the host’s read actions of flow surfaces)',
  'flowSurfaces:listTemplates': 'interface metadata (one of the host’s read actions of flow surfaces)',
  'flowSurfaces:getTemplate': 'interface metadata (one of the host’s read actions of flow surfaces)',
  'flowSurfaces:getEventFlowMeta': 'interface metadata (one of the host’s read actions of flow surfaces)',
  'userWorkflowTasks:listMine': 'lists the owner’s workflow tasks',
  'userWorkflowTaskStats:listMine': 'counts the owner’s workflow tasks',
  'workflowManualTasks:listMine': 'lists the tasks assigned to the owner',
  'aiSettings:publicGet': 'AI metadata',
  'ai:listAllEnabledModels': 'AI metadata',
  'aiEmployees:listByUser': 'AI metadata',
  'aiConversations:unreadCount': 'counts the owner’s unread AI messages',
  'aiConversations:unreadCounts': 'counts the owner’s unread AI messages',
};

const has = (name: string) => Object.prototype.hasOwnProperty.call(READ_ACTIONS, name);

/** A plugin's entry (`charts:queryData`) matches on its resource only, never as a bare action name. */
export const isReadAction = (resourceName: string, actionName: string) =>
  (!actionName.includes(':') && has(actionName)) || has(`${resourceName}:${actionName}`);
