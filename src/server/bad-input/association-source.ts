import type { Context } from '@nocobase/actions';
import { refusals, type KeywardError } from '../errors';
import { withinScope } from '../restrictions/role-scope';

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
  sourceCollection?: { filterTargetKey?: string; model: { primaryKeyAttribute: string }; getField(name: string): { type?: string } | undefined };
}

/**
 * Whether the key's role reaches the source row for a write through one of its associations:
 * `update` within its scope where the row itself changes (a belongs-to's foreign key), else
 * `view` within its scope (the new row is linked to it). The host's ACL asks neither.
 */
async function reachesSource(ctx: Context, repository: RelationRepository, association: string, row: Row): Promise<boolean> {
  const source = repository.sourceCollection!;
  const action = source.getField(association)?.type === 'belongsTo' ? 'update' : 'view';
  const name = ctx.action.resourceName.split('.')[0];
  return withinScope(ctx, name, action, [row.get(source.filterTargetKey ?? source.model.primaryKeyAttribute)]);
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
  const association = resourceName.split('.')[1];
  const row = await repository.getSourceModel();
  const reached = row !== null && (!ctx.state.apiKey || !CREATES_THROUGH.has(actionName) || (await reachesSource(ctx, repository, association, row)));
  return reached ? undefined : refusals.badInput('There is no record this request may change: {{id}}.', { id: String(sourceId).slice(0, 100) });
}
