import type Database from '@nocobase/database';
import { snakeCase } from '@nocobase/database';
import { COLLECTION, ErrorCode, TABLE, USAGE_COLLECTION, USAGE_TABLE } from '../../constants';
import { KeywardError } from '../errors';

type Row = { get(name: string): unknown };

const OURS = new Set([COLLECTION, USAGE_COLLECTION]);

const isOurs = (name: unknown) => typeof name === 'string' && OURS.has(name);

/** What a collection's options say of its table. */
interface TableOptions {
  name?: unknown;
  tableName?: unknown;
  viewName?: unknown;
  underscored?: unknown;
}

/**
 * Whether a collection's table or view is one of ours. Its table as the host names it: the table
 * name or else its name, in snake case in an `underscored` app, with the app's table prefix
 * (`DB_TABLE_PREFIX`) unless it starts with it already (so under `nb_`, `nbKeywardApiKeys` is
 * `nb_keyward_api_keys`, the keys table). Compared without case (SQLite, MySQL), quotes,
 * schema, the prefix and underscores, on the name as written too: a near miss is refused with
 * the rest.
 */
export function ourTableCheck(db: Database) {
  const prefix = db.getTablePrefix();
  const hostName = (name: string, underscored: unknown) => {
    const named = (underscored ?? db.options.underscored) ? snakeCase(name) : name;
    return prefix && !named.startsWith(prefix) ? `${prefix}${named}` : named;
  };
  const key = (name: string) => {
    const bare = name.replace(/["`[\]]/g, '').split('.').pop()!.trim().toLowerCase();
    const lowerPrefix = prefix.toLowerCase();
    return (lowerPrefix && bare.startsWith(lowerPrefix) ? bare.slice(lowerPrefix.length) : bare).replace(/_/g, '');
  };
  const ourTables = new Set([TABLE, USAGE_TABLE].map(key));
  const isOurTable = (name: unknown, underscored?: unknown) =>
    typeof name === 'string' && [name, hostName(name, underscored)].some((candidate) => ourTables.has(key(candidate)));
  return ({ name, tableName, viewName, underscored }: TableOptions) =>
    isOurTable(viewName) || isOurTable(typeof tableName === 'string' && tableName ? tableName : name, underscored);
}

/** A workflow's `main:apiKeys` (or `apiKeys`, the main data source's): the data source is main. */
export const isOurCollectionName = (name: unknown) => typeof name === 'string' && /^(main:)?(apiKeys|apiKeyUsage)$/.test(name);

/** A workflow or a workflow node whose `config.collection` names keys or their usage. */
export const boundToKeys = (row: Row) =>
  isOurCollectionName((row.get('config') as { collection?: unknown } | null | undefined)?.collection);

/** A field or collection record of the main data source: another source's `apiKeys` is its own. */
const onMain = (row: Row) => [undefined, null, 'main'].includes(row.get('dataSourceKey') as string | null | undefined);

const refusal = (message: string) => new KeywardError(403, ErrorCode.ACTION_NOT_ALLOWED, message);

/**
 * Keys and their usage are reached through `apiKeys`' own actions only; what the collection
 * manager, the data-source manager and workflows could build around them is refused as it is
 * saved:
 * - a field that points at them from another collection: its filters, sorts, appends and chart
 *   measures would reach them where no guard of ours runs (Sequelize runs no find hook on a model
 *   it only joins);
 * - a field added to them: another name for a column (`field: 'hash'`) is read past the guard;
 * - a collection over their tables (one whose table or view has their name, in any case, or, on
 *   PostgreSQL, one that inherits theirs, whose rows the key lookup would read);
 * - a workflow bound to them, whatever its trigger: it keeps what it is handed in its
 *   executions (after `apiKeys:create`, the response with the new key), and saved disabled it can
 *   still be run by hand (`workflows:execute`, refused in `named-queries.ts`), its trigger's
 *   condition then a question about any key row. {@link disableWorkflowsOnKeys} turns off those
 *   saved before; turning one off stays allowed. Nor a node of any workflow that names them (a
 *   query, create or update node);
 * - a custom variable (`customVariables`) that aggregates them: any signed-in user parses one.
 */
export function refusePathsToKeys(db: Database) {
  const overOurTables = ourTableCheck(db);
  // Fields from the collection manager (`fields`) and the data-source manager (`dataSourcesFields`,
  // which applies the main source's to the main database).
  const refuseField = (field: Row) => {
    if (!onMain(field)) {
      return;
    }
    if (isOurs(field.get('collectionName'))) {
      throw refusal('API keys and their usage take no new fields.');
    }
    // A join table is defined as a collection of its name, over the table of that name in any
    // case: `through: 'keywardapikeys'` would be a second collection over the keys.
    if ([field.get('target'), field.get('through')].some((name) => isOurs(name) || overOurTables({ name }))) {
      throw refusal('No field of another collection may point at API keys.');
    }
  };
  const refuseCollection = (collection: Row) => {
    if (!onMain(collection)) {
      return;
    }
    const inherits = [collection.get('inherits') ?? []].flat();
    const options = { name: collection.get('name'), tableName: collection.get('tableName'), viewName: collection.get('viewName'), underscored: collection.get('underscored') };
    if (overOurTables(options) || inherits.some(isOurs)) {
      throw refusal('No collection may be made over the tables of API keys.');
    }
  };
  // A workflow's nodes (query, create, update, …) name a collection of their own.
  const refuseNode = (node: Row) => {
    if (boundToKeys(node)) {
      throw refusal('No workflow may be bound to API keys or their usage.');
    }
  };
  const refuseWorkflow = (workflow: Row & { isNewRecord?: boolean; changed?(name: string): boolean }) => {
    const turnedOffOnly = !workflow.isNewRecord && !workflow.get('enabled') && !workflow.changed?.('config');
    if (boundToKeys(workflow) && !turnedOffOnly) {
      throw refusal('No workflow may be bound to API keys or their usage.');
    }
  };
  const refuseVariable = (variable: Row) => {
    if (isOurCollectionName((variable.get('options') as { collection?: unknown } | null | undefined)?.collection)) {
      throw refusal('No custom variable may query API keys or their usage.');
    }
  };
  // Whatever defines it (a join table, a plugin's code), the database defines no other
  // collection over their tables: ours are the only collections these guards know.
  db.on('beforeDefineCollection', (options: TableOptions) => {
    if (!isOurs(options.name) && overOurTables(options)) {
      throw refusal('No collection may be made over the tables of API keys.');
    }
  });
  for (const [collection, refuse] of [
    ['fields', refuseField],
    ['dataSourcesFields', refuseField],
    ['collections', refuseCollection],
    ['dataSourcesCollections', refuseCollection],
    ['workflows', refuseWorkflow],
    ['flow_nodes', refuseNode],
    ['customVariables', refuseVariable],
  ] as const) {
    db.on(`${collection}.beforeCreate`, refuse);
    db.on(`${collection}.beforeUpdate`, refuse);
  }
}

/**
 * At start: a workflow bound to keys before this guard (the built-in plugin's collection has the
 * same name, `apiKeys`) is turned off, through its own update so the workflow plugin drops it.
 */
export async function disableWorkflowsOnKeys(db: Database, warn: (message: string, meta: object) => void) {
  if (!db.getCollection('workflows')) {
    return;
  }
  const enabled = await db.getRepository('workflows').find({ filter: { enabled: true } });
  for (const workflow of enabled.filter(boundToKeys)) {
    await workflow.update({ enabled: false });
    warn('Keyward turned off a workflow bound to API keys: it would keep each new key in its executions', {
      workflowId: workflow.get('id'),
      title: workflow.get('title'),
    });
  }
}
