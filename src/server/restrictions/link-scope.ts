import type { Context, Next } from '@nocobase/actions';
import { refusals, throwKeywardError } from '../errors';
import { isObject } from '../is-object';
import { isRecordKey } from '../record-id';
import { definesItself } from '../resource-actions';
import { withinScope } from './role-scope';
import { type WrittenField, writtenValues } from '../written-values';
import { linkedTk } from '../bad-input/unknown-names';

/** Relations whose link is the target row's foreign key: linking a row writes that row. */
const LINKED_ON_TARGET = new Set(['hasMany', 'hasOne']);

const LINK_ACTIONS = new Set(['add', 'set', 'remove', 'toggle']);

interface Collections {
  getCollection(name: string): { getField(name: string): WrittenField | undefined; filterTargetKey?: string; model: { primaryKeyAttribute: string } } | undefined;
  getRepository(name: string, sourceId?: unknown): unknown;
}

/** The ids an association's link action names, one by one (the host splits text at commas). */
function linkedIds(ctx: Context): unknown[] {
  const tk = linkedTk(ctx.action.params);
  const list = typeof tk === 'string' ? tk.split(',') : [tk].flat();
  return list.map((item) => (Array.isArray(item) ? item[0] : item)).filter(isRecordKey);
}

/** The existing rows a body's values link through relations kept on the target, by collection. */
function rowsLinkedByValues(ctx: Context, collections: Collections): Map<string, unknown[]> {
  const linked = new Map<string, unknown[]>();
  for (const { field, value } of writtenValues(ctx)) {
    if (field.target !== undefined && LINKED_ON_TARGET.has(field.type ?? '')) {
      const target = collections.getCollection(field.target);
      const key = target?.filterTargetKey ?? target?.model.primaryKeyAttribute ?? 'id';
      const ids = [value].flat().map((item) => (isObject(item) ? item[key] : item)).filter(isRecordKey);
      linked.set(field.target, [...(linked.get(field.target) ?? []), ...ids]);
    }
  }
  return linked;
}

/**
 * After the ACL, on requests made with a key. A has-many or has-one relation keeps its link on
 * the target row (its foreign key), so linking, unlinking or re-linking an existing row writes
 * that row; the host's ACL asks only for the source's `update` (link actions) or turns the ids
 * in a body's values into links without asking at all. Each such row must be one the key's role
 * may `update`, within its scope; for `set`, so must the rows it unlinks.
 */
export async function linksWithinScope(ctx: Context, next: Next) {
  const { action } = ctx;
  if (!ctx.state.apiKey || !action || definesItself(ctx, action.resourceName, action.actionName)) {
    return next();
  }
  const collections = (ctx.dataSource?.collectionManager ?? ctx.db) as unknown as Collections;
  const [source, association] = action.resourceName.split('.');
  const field = association === undefined ? undefined : collections.getCollection(source)?.getField(association);
  const changed = new Map<string, unknown[]>();
  if (field?.target !== undefined && LINKED_ON_TARGET.has(field.type ?? '') && LINK_ACTIONS.has(action.actionName)) {
    changed.set(field.target, linkedIds(ctx));
    if (action.actionName === 'set') {
      // The rows linked now, which set unlinks.
      type Row = { get(name: string): unknown };
      const relation = collections.getRepository(action.resourceName, action.sourceId) as { find(): Promise<Row[] | Row | null> };
      const target = collections.getCollection(field.target);
      const key = target?.filterTargetKey ?? target?.model.primaryKeyAttribute ?? 'id';
      // A has-one's repository finds its one row, or none.
      const linkedNow = [await relation.find()].flat().filter((row): row is Row => row !== null);
      changed.get(field.target)!.push(...linkedNow.map((row) => row.get(key)));
    }
  }
  for (const [target, ids] of rowsLinkedByValues(ctx, collections)) {
    changed.set(target, [...(changed.get(target) ?? []), ...ids]);
  }
  for (const [target, ids] of changed) {
    if (!(await withinScope(ctx, target, 'update', ids))) {
      throwKeywardError(ctx, refusals.badInput('There is no record this request may change: {{id}}.', { id: ids.map(String).join(', ').slice(0, 100) }));
    }
  }
  await next();
}
