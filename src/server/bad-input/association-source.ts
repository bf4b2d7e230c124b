import type { Context } from '@nocobase/actions';
import { createContextVariablesScope } from '@nocobase/server';
import { isValidFilter, parseFilter } from '@nocobase/utils';
import { refusals, type KeywardError } from '../errors';

/**
 * The host's generic association actions that write through the source row: on a source that
 * is not there, each reads its association's accessor on null (a 500).
 */
const SOURCE_WRITES = new Set(['add', 'set', 'remove', 'toggle', 'create', 'firstOrCreate', 'updateOrCreate']);

/** Of those, the ones the host's ACL asks only the target's permission for. */
const CREATES_THROUGH = new Set(['create', 'firstOrCreate', 'updateOrCreate']);

type Row = { get(name: string): unknown };

interface RelationRepository {
  getSourceModel?(): Promise<Row | null>;
}

interface SourceRepository {
  findOne(options: { filterByTk: unknown; filter?: unknown }): Promise<unknown>;
  collection: { filterTargetKey?: string; model: { primaryKeyAttribute: string }; getField(name: string): { type?: string } | undefined };
}

/**
 * Whether the key's role reaches the source row for a write through one of its associations:
 * `update` within its scope where the row itself changes (a belongs-to's foreign key), else
 * `view` within its scope (the new row is linked to it). The host's ACL asks neither.
 */
async function reachesSource(ctx: Context, source: string, association: string, row: Row): Promise<boolean> {
  const collections = ctx.dataSource?.collectionManager ?? ctx.db;
  const repository = collections.getRepository(source) as unknown as SourceRepository;
  const action = repository.collection.getField(association)?.type === 'belongsTo' ? 'update' : 'view';
  const can = (ctx as { can?: (options: { resource: string; action: string }) => { params?: { filter?: unknown } } | null }).can?.({ resource: source, action });
  if (!can) {
    return false;
  }
  const scope = can.params?.filter;
  if (!isValidFilter(scope)) {
    return true;
  }
  const key = repository.collection.filterTargetKey ?? repository.collection.model.primaryKeyAttribute;
  const filter = await parseFilter(scope, createContextVariablesScope(ctx));
  return Boolean(await repository.findOne({ filterByTk: row.get(key), filter }));
}

/**
 * An association write whose source row is not there, looked up as the host's repository looks
 * it up; for a key, a create through the association on a source row its role does not reach
 * is answered alike (the key learns nothing of it).
 */
export async function missingSource(ctx: Context): Promise<KeywardError | undefined> {
  const { resourceName, actionName, sourceId } = ctx.action;
  if (!resourceName.includes('.') || !SOURCE_WRITES.has(actionName)) {
    return undefined;
  }
  const collections = ctx.dataSource?.collectionManager ?? ctx.db;
  const repository = collections.getRepository?.(resourceName, sourceId) as RelationRepository | undefined;
  // Another data source's repositories may find their rows otherwise: theirs to answer.
  if (typeof repository?.getSourceModel !== 'function') {
    return undefined;
  }
  const [source, association] = resourceName.split('.');
  const row = await repository.getSourceModel();
  const reached = row !== null && (!ctx.state.apiKey || !CREATES_THROUGH.has(actionName) || (await reachesSource(ctx, source, association, row)));
  return reached ? undefined : refusals.badInput('There is no record this request may change: {{id}}.', { id: String(sourceId).slice(0, 100) });
}
