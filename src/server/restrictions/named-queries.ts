import type { Context, Next } from '@nocobase/actions';
import type Database from '@nocobase/database';
import { refusals, throwKeywardError } from '../errors';
import { isObject } from '../is-object';
import { isRecordKey } from '../record-id';
import { type Collections, reachesOurs } from './flow-context';
import { boundToKeys, ourTableCheck } from './no-paths-to-keys';
import { chartCollection } from './root-keys';

type Row = { get(name: string): unknown };

/**
 * Host actions that query a collection, a table or a workflow the request names, for whoever
 * holds their permission (a session's, root's too): none may name keys or their usage. Their
 * names reach the database as they come, and a database reads more in a name than a column (on
 * PostgreSQL `row_to_json` after the table's name is the whole row, hash and all), so the
 * refusal is of the whole query, not of names. Keyward's own actions (`apiKeys:list`,
 * `apiKeys:usage`) answer what such a query would, for the caller's own keys. One row each.
 */
const NAMED_QUERIES: Record<string, { reason: string; namesKeys(ctx: Context, db: Database): boolean | Promise<boolean> }> = {
  'charts:queryData': {
    reason: 'a chart block: measures, dimensions, orders and a filter over the collection it names',
    namesKeys: (ctx) => reachesOurs(ctx.db as unknown as Collections, chartCollection(ctx)),
  },
  'aiContextDatasources:preview': {
    reason: "an AI context's preview: the fields and filter it is given, of the collection it names",
    namesKeys: (ctx) => {
      const values = ctx.action.params.values;
      return isObject(values) && [undefined, null, 'main'].includes(values.datasource as string) && reachesOurs(ctx.db as unknown as Collections, values.collectionName);
    },
  },
  'dbViews:query': {
    reason: 'a database view\'s rows: `SELECT *` from the table it names, view or not',
    namesKeys: (ctx, db) => ourTableCheck(db)({ name: ctx.action.params.filterByTk }),
  },
  'dbViews:get': {
    reason: "a database view's columns, of the table it names",
    namesKeys: (ctx, db) => ourTableCheck(db)({ name: ctx.action.params.filterByTk }),
  },
  'workflows:execute': {
    reason: "a workflow run by hand, even one saved disabled: its trigger's condition asks about the row it is given",
    namesKeys: async (ctx, db) => {
      const { filterByTk } = ctx.action.params;
      if (!db.getCollection('workflows') || !isRecordKey(filterByTk)) {
        return false;
      }
      const workflow = (await db.getRepository('workflows').findOne({ filterByTk }).catch(() => null)) as Row | null;
      return workflow ? boundToKeys(workflow) : false;
    },
  },
};

/** For every request, a key's or a session's: see {@link NAMED_QUERIES}. */
export function refuseQueriesOfKeys(db: Database) {
  return async function refuseQueriesOfKeys(ctx: Context, next: Next) {
    const query = ctx.action && NAMED_QUERIES[`${ctx.action.resourceName}:${ctx.action.actionName}`];
    if (query && (await query.namesKeys(ctx, db))) {
      throwKeywardError(ctx, refusals.actionNotAllowed());
    }
    return next();
  };
}
