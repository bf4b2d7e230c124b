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

/** The first name of each column an `importXlsx` request's multipart body gives (parsed by its upload step). */
function importedRelations(ctx: Context): string[] {
  let columns = (ctx.request as { body?: { columns?: unknown } }).body?.columns;
  if (typeof columns === 'string') {
    try {
      columns = JSON.parse(columns);
    } catch {
      return [];
    }
  }
  return (Array.isArray(columns) ? columns : [])
    .map((column) => (isObject(column) && Array.isArray(column.dataIndex) ? column.dataIndex[0] : undefined))
    .filter((name): name is string => typeof name === 'string');
}

/** The refusal of a write that would unlink rows unseen: it must name its one record. */
const namesOneRecord = (field: string) =>
  refusals.badInput('With an API key, an update that gives {{field}} anew names one record by filterByTk.', { field: field.slice(0, 100) });

const keyOf = (collections: Collections, name: string) => {
  const collection = collections.getCollection(name);
  return collection?.filterTargetKey ?? collection?.model.primaryKeyAttribute ?? 'id';
};

type Row = { get(name: string): unknown };
type LinkField = WrittenField & { options?: { sourceKey?: string; targetKey?: string } };

/**
 * What a relation of the record `tk` names it by: its key, or the relation's own source key
 * (`sourceKey: 'code'`), read from the row. Undefined when the row is not there.
 */
async function sourceKeyOf(collections: Collections, collection: string, tk: unknown, field: LinkField): Promise<unknown> {
  const sourceKey = field.options?.sourceKey;
  if (sourceKey === undefined || sourceKey === keyOf(collections, collection)) {
    return tk;
  }
  const repository = collections.getRepository(collection) as { findOne(options: object): Promise<Row | null> };
  return (await repository.findOne({ filterByTk: tk }))?.get(sourceKey) ?? undefined;
}

/** The keys of the rows an association of one record links now (a has-one's repository finds one row, or none). */
async function linkedNow(collections: Collections, resourceName: string, sourceId: unknown, target: string): Promise<unknown[]> {
  const relation = collections.getRepository(resourceName, sourceId) as { find(): Promise<Row[] | Row | null> };
  const key = keyOf(collections, target);
  return [await relation.find()]
    .flat()
    .filter((row): row is Row => row !== null)
    .map((row) => row.get(key));
}

/**
 * After the ACL, on requests made with a key. A has-many or has-one relation keeps its link on
 * the target row (its foreign key), so linking, unlinking or re-linking an existing row writes
 * that row; the host's ACL asks only for the source's `update` (link actions) or turns the ids
 * in a body's values into links without asking at all. Each such row must be one the key's role
 * may `update`, within its scope; so must the rows it unlinks (`set`, or an update of one
 * record that gives the relation anew).
 */
export async function linksWithinScope(ctx: Context, next: Next) {
  const { action } = ctx;
  if (!ctx.state.apiKey || !action || definesItself(ctx, action.resourceName, action.actionName)) {
    return next();
  }
  const collections = (ctx.dataSource?.collectionManager ?? ctx.db) as unknown as Collections;
  const [source, association] = action.resourceName.split('.');
  const field = association === undefined ? undefined : collections.getCollection(source)?.getField(association);
  // The collection whose records the action writes: the resource's, or the association's target.
  const written = association === undefined ? source : field?.target;
  // The rows the request names, and those the server finds it would unlink: a refusal names only
  // what the request sent (the rows linked now may be rows the key's role cannot see).
  const named = new Map<string, unknown[]>();
  const unlinked = new Map<string, unknown[]>();
  const add = (into: Map<string, unknown[]>, target: string, ids: unknown[]) => into.set(target, [...(into.get(target) ?? []), ...ids]);
  if (field?.target !== undefined && LINKED_ON_TARGET.has(field.type ?? '') && LINK_ACTIONS.has(action.actionName)) {
    add(named, field.target, linkedIds(ctx));
    if (action.actionName === 'set') {
      add(unlinked, field.target, await linkedNow(collections, action.resourceName, action.sourceId, field.target));
    }
  }
  for (const { fieldName, field: given, value, record, collection, depth, via } of writtenValues(ctx)) {
    if (given.target === undefined || !LINKED_ON_TARGET.has(given.type ?? '')) {
      continue;
    }
    // The existing rows the values link (by id, or an object with its key).
    const targetKey = keyOf(collections, given.target);
    add(named, given.target, [value].flat().map((item) => (isObject(item) ? item[targetKey] : item)).filter(isRecordKey));
    // Given anew on a related row that exists (the host updates it with `updateAssociationValues`),
    // it unlinks that row's links unseen. The host knows the row by its key, or by the relation's
    // target key: any of them given counts.
    const keys = depth > 0 ? [keyOf(collections, collection), collections.getCollection(collection)?.model.primaryKeyAttribute, (via as LinkField | undefined)?.options?.targetKey] : [];
    if (keys.some((key) => key !== undefined && record[key] !== undefined)) {
      throwKeywardError(ctx, refusals.badInput("With an API key, {{field}} of a related record is changed through that record's own collection.", { field: fieldName.slice(0, 100) }));
    }
    // updateOrCreate updates the row its filterKeys find: what it unlinks goes unseen.
    if (depth === 0 && action.actionName === 'updateOrCreate') {
      throwKeywardError(ctx, namesOneRecord(fieldName));
    }
  }
  // An import links the rows its has-many or has-one columns find (by any of their fields, past
  // the role's scope, telling which exist), rewriting their foreign keys.
  if (action.actionName === 'importXlsx' && written !== undefined) {
    for (const name of importedRelations(ctx)) {
      const column = collections.getCollection(written)?.getField(name);
      if (column?.target !== undefined && LINKED_ON_TARGET.has(column.type ?? '')) {
        throwKeywardError(ctx, refusals.badInput('With an API key, importXlsx takes no column through {{field}}: it would re-link the rows it finds.', { field: name.slice(0, 100) }));
      }
    }
  }
  // An update whose values give a has-many or has-one anew unlinks the rows linked now: found for
  // one record at a time, so the update must name each (by filterByTk, or in each record of a
  // bulk update); by filter, or by a list of keys, the rows it would unlink go unseen.
  const { filterByTk, values } = action.params;
  if (action.actionName === 'update' && written !== undefined) {
    const recordKey = keyOf(collections, written);
    const records: [unknown, unknown][] = Array.isArray(values) ? values.map((item) => [isObject(item) ? item[recordKey] : undefined, item]) : [[filterByTk, values]];
    for (const [tk, recordValues] of records) {
      if (!isObject(recordValues)) {
        continue;
      }
      for (const [name, value] of Object.entries(recordValues)) {
        const given = collections.getCollection(written)?.getField(name);
        const target = given?.target;
        if (target === undefined || !LINKED_ON_TARGET.has(given?.type ?? '')) {
          continue;
        }
        if (!isRecordKey(tk)) {
          throwKeywardError(ctx, namesOneRecord(name));
        }
        const key = keyOf(collections, target);
        const kept = new Set([value].flat().map((item) => String(isObject(item) ? item[key] : item)));
        const sourceKey = await sourceKeyOf(collections, written, tk, given as LinkField);
        if (sourceKey !== undefined) {
          add(unlinked, target, (await linkedNow(collections, `${written}.${name}`, sourceKey, target)).filter((id) => !kept.has(String(id))));
        }
      }
    }
  }
  const refused = async (rows: Map<string, unknown[]>) => {
    for (const [target, ids] of rows) {
      if (!(await withinScope(ctx, target, 'update', ids))) {
        return true;
      }
    }
    return false;
  };
  if (await refused(named)) {
    const ids = [...named.values()].flat().map(String);
    throwKeywardError(ctx, refusals.badInput('There is no record this request may change: {{id}}.', { id: ids.join(', ').slice(0, 100) }));
  }
  if (await refused(unlinked)) {
    // The record whose links would go, as the request named it.
    const id =
      action.actionName !== 'update'
        ? action.sourceId
        : Array.isArray(values)
          ? values.map((item) => (isObject(item) ? item[keyOf(collections, written ?? source)] : item)).join(', ')
          : filterByTk;
    throwKeywardError(ctx, refusals.badInput('There is no record this request may change: {{id}}.', { id: String(id).slice(0, 100) }));
  }
  await next();
}
