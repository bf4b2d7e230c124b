/**
 * Every action that NocoBase 2.2.15 and the plugins it enables by default allow to any
 * signed-in user (`loggedIn`) or to everybody (`public`), whatever the role, and whether a
 * request made with an API key may call it. A key works on data within its role; it never
 * changes the account it acts for, signs in or out, or turns into another credential.
 *
 * Deny by default: an action the host allows this way that is missing here (a plugin added
 * later, a new version) is refused to keys until someone decides on it. Keys are
 * `resource:action` as the host registers them; `*` stands for any resource or any action.
 * A `resource:*` row covers only the actions the resource defines itself: a resource also
 * answers the host's generic actions (get, export, update, destroy, …), which know nothing of
 * whose rows they serve, and an allowance of `*` lets them past the ACL for anybody.
 */
export const SIGNED_IN_ACTIONS: Readonly<Record<string, { key: boolean; reason: string }>> = {
  // Sign-in, sessions, credentials (plugin-auth)
  'auth:check': { key: true, reason: 'scripts check their key and read who it acts for' },
  'auth:signIn': { key: false, reason: 'issues a session token' },
  'auth:signUp': { key: false, reason: 'creates an account' },
  'auth:signOut': { key: false, reason: 'ends a session' },
  'auth:syncCookies': { key: false, reason: 'turns the bearer token into browser session cookies' },
  'auth:changePassword': { key: false, reason: "changes the owner's password; would be a password oracle" },
  'auth:lostPassword': { key: false, reason: 'starts a password reset' },
  'auth:resetPassword': { key: false, reason: 'sets a password' },
  'auth:checkResetToken': { key: false, reason: 'part of a password reset' },
  'auth:checkLegacyFileAccess': { key: true, reason: 'gate for downloading an uploaded file: a key, only a file whose row its role may view' },
  'authenticators:publicList': { key: true, reason: 'public sign-in page metadata' },
  // The account itself (plugin-users, plugin-acl, theme-editor, ai)
  'users:updateProfile': { key: false, reason: "changes the owner's email, phone, username" },
  'users:updateLang': { key: false, reason: "changes the owner's settings" },
  'users:updateTheme': { key: false, reason: "changes the owner's settings" },
  'users:setDefaultRole': { key: false, reason: "changes the owner's default role" },
  'aiEmployees:updateUserPrompt': { key: false, reason: "changes the owner's personal settings" },
  'roles:check': { key: true, reason: "reads the key's own role and permissions" },
  // Verifiers and 2FA (plugin-verification)
  'verifiers:listByUser': { key: false, reason: "reads the owner's verifiers (2FA)" },
  'verifiers:listForVerify': { key: false, reason: 'step of a verification' },
  'verifiers:bind': { key: false, reason: 'binds a verifier to the owner' },
  'verifiers:unbind': { key: false, reason: "removes one of the owner's verifiers" },
  'smsOTP:create': { key: false, reason: 'sends a one-time code for a verification' },
  'smsOTP:publicCreate': { key: false, reason: 'sends a sign-in code' },
  // Instance settings and outbound calls
  'license:*': { key: false, reason: 'instance licence, not data' },
  'perf:*': { key: false, reason: 'diagnostics, not data' },
  'environmentVariables:list': { key: false, reason: 'instance configuration, not data of a role' },
  'customRequests:send': { key: false, reason: "sends the caller's bearer token, the key, to a configured URL" },
  'customRequests:listByCurrentRole': { key: true, reason: 'lists what the role may send' },
  'uiSchemas:initializeActionContext': { key: false, reason: 'writes UI configuration' },
  'flowSql:runById': { key: false, reason: "runs saved SQL without the role's data permissions" },
  'flowSql:getBind': { key: false, reason: 'part of running saved SQL' },
  'variables:resolve': { key: false, reason: "reads records by template outside the role's data permissions" },
  'fieldAssignments:apply': { key: false, reason: 'no handler; nothing a script calls' },
  '*:createTemporaryURL': { key: false, reason: 'mints a bearer URL, and for attachments ignores the role' },
  // App and collection metadata
  'pm:listEnabled': { key: true, reason: 'public metadata' },
  'pm:listEnabledV2': { key: true, reason: 'public metadata' },
  'app:getLang': { key: true, reason: 'public metadata' },
  'app:getInfo': { key: true, reason: 'public metadata' },
  'app:getPortals': { key: true, reason: 'metadata' },
  'systemSettings:get': { key: true, reason: 'public metadata' },
  'themeConfig:list': { key: true, reason: 'public metadata' },
  'collections:list': { key: true, reason: 'collection metadata scripts need' },
  'collections:listMeta': { key: true, reason: 'collection metadata scripts need' },
  'collectionCategories:list': { key: true, reason: 'collection metadata' },
  'dataSources:listEnabled': { key: true, reason: 'data source metadata' },
  'dataSources:get': { key: true, reason: 'data source metadata' },
  'swagger:get': { key: true, reason: 'API documentation' },
  'swagger:getUrls': { key: true, reason: 'API documentation' },
  '*:downloadXlsxTemplate': { key: true, reason: 'an import template built from field metadata' },
  // Interface metadata, filtered by role
  'desktopRoutes:listAccessible': { key: true, reason: "menus the key's role may see" },
  'desktopRoutes:getAccessible': { key: true, reason: "menus the key's role may see" },
  'mobileRoutes:listAccessible': { key: true, reason: "menus the key's role may see" },
  'uiLayouts:listEnabled': { key: true, reason: 'interface metadata' },
  'uiLayouts:listAccessible': { key: true, reason: 'interface metadata' },
  'uiSchemas:getProperties': { key: true, reason: 'interface metadata' },
  'uiSchemas:getJsonSchema': { key: true, reason: 'interface metadata' },
  'uiSchemas:getParentJsonSchema': { key: true, reason: 'interface metadata' },
  'uiSchemaTemplates:get': { key: true, reason: 'interface metadata' },
  'uiSchemaTemplates:list': { key: true, reason: 'interface metadata' },
  'flowModels:findOne': { key: true, reason: 'interface metadata' },
  'flowSurfaces:catalog': { key: true, reason: 'interface metadata' },
  'flowSurfaces:context': { key: true, reason: 'interface metadata' },
  'flowSurfaces:get': { key: true, reason: 'interface metadata' },
  'flowSurfaces:describeSurface': { key: true, reason: 'interface metadata' },
  'flowSurfaces:exportBlueprint': { key: true, reason: 'interface metadata' },
  'flowSurfaces:listNavigationTargets': { key: true, reason: 'interface metadata' },
  'flowSurfaces:getReactionMeta': { key: true, reason: 'interface metadata' },
  'flowSurfaces:listTemplates': { key: true, reason: 'interface metadata' },
  'flowSurfaces:getTemplate': { key: true, reason: 'interface metadata' },
  'flowSurfaces:getEventFlowMeta': { key: true, reason: 'interface metadata' },
  'iframeHtml:getHtml': { key: false, reason: "an iframe block's HTML, which no script needs; the host fails on an unknown id (a 500)" },
  'blockTemplates:list': { key: true, reason: 'interface metadata' },
  'blockTemplates:get': { key: true, reason: 'interface metadata' },
  'flowModelTemplates:list': { key: true, reason: 'interface metadata' },
  'flowModelTemplates:get': { key: true, reason: 'interface metadata' },
  'flowModelTemplateUsages:list': { key: true, reason: 'interface metadata' },
  'flowModelTemplateUsages:get': { key: true, reason: 'interface metadata' },
  'blockTemplates:*': { key: false, reason: 'other actions write UI configuration for everyone' },
  'flowModelTemplates:*': { key: false, reason: 'other actions write UI configuration for everyone' },
  'flowModelTemplateUsages:*': { key: false, reason: 'other actions write UI configuration for everyone' },
  // Files
  'attachments:upload': { key: true, reason: 'uploads an attachment, owned by the owner' },
  'attachments:create': { key: true, reason: 'uploads an attachment (the file itself), owned by the owner' },
  'storages:getBasicInfo': { key: true, reason: 'where uploads go; no secrets' },
  'storages:check': { key: true, reason: 'where uploads go; no secrets' },
  'vditor:check': { key: true, reason: 'where uploads go; no secrets' },
  // The owner's own work items
  'asyncTasks:list': { key: true, reason: "the owner's own export and import jobs" },
  'asyncTasks:get': { key: true, reason: "the owner's own export and import jobs" },
  'asyncTasks:fetchFile': { key: true, reason: "the owner's own export and import jobs" },
  'asyncTasks:stop': { key: true, reason: "the owner's own export and import jobs" },
  'myInAppMessages:*': { key: true, reason: "the owner's in-app messages" },
  'myInAppChannels:*': { key: true, reason: "the owner's in-app messages" },
  'notificationInAppMessages:updateMyOwn': { key: true, reason: "marks the owner's messages read" },
  'userWorkflowTasks:listMine': { key: true, reason: "the owner's workflow tasks" },
  'userWorkflowTaskStats:listMine': { key: true, reason: "the owner's workflow tasks" },
  'workflowManualTasks:listMine': { key: true, reason: 'tasks assigned to the owner' },
  'workflowManualTasks:get': { key: false, reason: "the host's generic get: any user's task, by id" },
  'workflowManualTasks:submit': { key: true, reason: 'tasks assigned to the owner' },
  'workflowCcTasks:*': { key: true, reason: "the owner's workflow copies" },
  'workflows:trigger': { key: false, reason: 'runs any global custom-action workflow with any values, without the role' },
  'charts:queryData': { key: true, reason: "chart queries, checked against the key's role" },
  'mcp:*': { key: true, reason: 'each tool call re-enters the app with the same key and is checked again' },
  // AI (plugin-ai): the owner's own conversations, run under the key's role
  'aiConversations:list': { key: true, reason: "lists the owner's own AI conversations" },
  'aiConversations:getMessages': { key: true, reason: "reads the messages of one of the owner's conversations" },
  'aiConversations:unreadCount': { key: true, reason: "counts the owner's unread AI messages" },
  'aiConversations:unreadCounts': { key: true, reason: "counts the owner's unread AI messages" },
  'aiConversations:*': { key: false, reason: 'starts and steers conversations: runs a model and its tools as the owner, on input the plugin does not check (500s)' },
  'aiWorkflowTasks:*': { key: true, reason: "AI tasks assigned to the owner (the resource's own actions, each scoped to the owner)" },
  'aiContextDatasources:get': { key: true, reason: "AI context, checked against the key's role" },
  'aiContextDatasources:list': { key: true, reason: "AI context, checked against the key's role" },
  'aiContextDatasources:preview': { key: false, reason: 'reads a table past the role wherever any signed-in user may list it' },
  'aiFiles:create': { key: false, reason: 'uploads a file for a conversation, which a key does not hold' },
  'aiSettings:publicGet': { key: true, reason: 'metadata' },
  'ai:listAllEnabledModels': { key: true, reason: 'metadata' },
  'aiEmployees:listByUser': { key: true, reason: 'metadata' },
  'aiTools:list': { key: true, reason: 'metadata' },
  'aiSkills:list': { key: true, reason: 'metadata' },
};

/**
 * The row that decides an action: the exact action first, then the resource's wildcard (only
 * for an action the resource defines itself, `ownAction`), then the action's.
 */
export function decisionFor(resourceName: string, actionName: string, ownAction = true) {
  const candidates = [`${resourceName}:${actionName}`, ...(ownAction ? [`${resourceName}:*`] : []), `*:${actionName}`];
  const name = candidates.find((candidate) => Object.prototype.hasOwnProperty.call(SIGNED_IN_ACTIONS, candidate));
  return name === undefined ? undefined : SIGNED_IN_ACTIONS[name];
}

export const keyMayCall = (resourceName: string, actionName: string, ownAction: boolean) =>
  decisionFor(resourceName, actionName, ownAction)?.key === true;
