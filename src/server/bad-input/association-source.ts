import type { Context } from '@nocobase/actions';
import { refusals, type KeywardError } from '../errors';

/**
 * The host's generic association actions that write through the source row: on a source that
 * is not there, each reads its association's accessor on null (a 500).
 */
const SOURCE_WRITES = new Set(['add', 'set', 'remove', 'toggle', 'create', 'firstOrCreate', 'updateOrCreate']);

interface RelationRepository {
  getSourceModel?(): Promise<unknown>;
}

/** An association write whose source row is not there, looked up as the host's repository looks it up. */
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
  return (await repository.getSourceModel())
    ? undefined
    : refusals.badInput('There is no record this request may change: {{id}}.', { id: String(sourceId).slice(0, 100) });
}
