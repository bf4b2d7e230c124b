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
};

const has = (name: string) => Object.prototype.hasOwnProperty.call(READ_ACTIONS, name);

/** A plugin's entry (`charts:queryData`) matches on its resource only, never as a bare action name. */
export const isReadAction = (resourceName: string, actionName: string) =>
  (!actionName.includes(':') && has(actionName)) || has(`${resourceName}:${actionName}`);
