import type { Context, Next } from '@nocobase/actions';
import { isObject } from '../is-object';
import { refusals, throwKeywardError } from '../errors';
import { isRecordKey } from '../record-id';
import { definesItself } from '../resource-actions';

interface BulkRepository {
  findOne?(options: { filterByTk: unknown; filter?: unknown }): Promise<unknown>;
  model?: { primaryKeyAttribute?: string };
}

/**
 * After the ACL, on requests made with a key: the host's generic `update` with a list of records
 * writes each one by its primary key alone, dropping the filter the ACL put in the request (the
 * role's scope on `update`), so a role allowed to update its own records could update anyone's.
 * Each record must be one the request's filter reaches, found as the host finds it; a record
 * without its key would be written after those before it, so none is written.
 */
export async function bulkUpdateWithinScope(ctx: Context, next: Next) {
  const { action } = ctx;
  const records = action?.params.values;
  if (ctx.state.apiKey && action.actionName === 'update' && Array.isArray(records) && !definesItself(ctx, action.resourceName, 'update')) {
    const repository = ctx.getCurrentRepository?.() as BulkRepository | undefined;
    const key = repository?.model?.primaryKeyAttribute;
    if (repository && typeof repository.findOne === 'function' && key) {
      for (const record of records) {
        const id = isObject(record) ? record[key] : undefined;
        if (!isRecordKey(id)) {
          throwKeywardError(ctx, refusals.badInput('Each record of a bulk update needs its primary key.'));
        }
        if (!(await repository.findOne({ filterByTk: id, filter: action.params.filter }))) {
          throwKeywardError(ctx, refusals.badInput('There is no record this request may change: {{id}}.', { id: String(id).slice(0, 100) }));
        }
      }
    }
  }
  await next();
}
