import type { Context } from '@nocobase/actions';
import { createContextVariablesScope } from '@nocobase/server';
import { isValidFilter, parseFilter } from '@nocobase/utils';

interface ScopedRepository {
  count(options: { filter: unknown }): Promise<number>;
  collection: { filterTargetKey?: string; model: { primaryKeyAttribute: string } };
}

type Can = (options: { resource: string; action: string }) => { params?: { filter?: unknown } } | null;

/**
 * Whether every row named by these key values is one the request's role may act on with this
 * action, within the action's scope (`own records`, a custom filter), as the host's ACL would
 * apply it to the action itself. A row that is not there is no such row.
 */
export async function withinScope(ctx: Context, collection: string, action: string, ids: unknown[]): Promise<boolean> {
  const unique = [...new Set(ids.map(String))];
  if (!unique.length) {
    return true;
  }
  const can = (ctx as { can?: Can }).can?.({ resource: collection, action });
  if (!can) {
    return false;
  }
  const repository = (ctx.dataSource?.collectionManager ?? ctx.db).getRepository(collection) as unknown as ScopedRepository;
  const key = repository.collection.filterTargetKey ?? repository.collection.model.primaryKeyAttribute;
  const scope = can.params?.filter;
  const filters: unknown[] = [{ [key]: { $in: unique } }];
  if (isValidFilter(scope)) {
    filters.push(await parseFilter(scope, createContextVariablesScope(ctx)));
  }
  return (await repository.count({ filter: { $and: filters } })) === unique.length;
}
