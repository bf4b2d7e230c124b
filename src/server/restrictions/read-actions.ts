/**
 * Host actions that only read. Anything else counts as a write: an action a plugin adds later
 * is treated as one until it is listed here.
 */
export const READ_ACTIONS: Readonly<Record<string, string>> = {
  list: 'reads records',
  get: 'reads one record',
  count: 'counts records',
  query: 'aggregates records (charts)',
  export: 'reads records into a spreadsheet',
  getFile: 'downloads a stored file',
  check: 'says who the request acts for (auth:check)',
};

export const isReadAction = (actionName: string) => Object.prototype.hasOwnProperty.call(READ_ACTIONS, actionName);
