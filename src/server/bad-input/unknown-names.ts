import type { Context } from '@nocobase/actions';
import { type KeywardError, refusals } from '../errors';
import { isObject } from '../is-object';
import { FILTER_NAMES_LIMIT, items, names } from '../query-paths';
import { isRecordKey } from '../record-id';

interface ModelLike {
  rawAttributes: Record<string, { type?: { key?: string } }>;
  associations: Record<string, { target: ModelLike }>;
}

/** The Sequelize model of a collection of the request's data source, if it has one. */
function modelOf(ctx: Context, name: string): ModelLike | undefined {
  const collections = ctx.dataSource?.collectionManager ?? ctx.db;
  const model = collections?.getCollection?.(name)?.model as ModelLike | undefined;
  return model?.rawAttributes && model.associations ? model : undefined;
}

const hasOwn = (object: object, name: string) => Object.prototype.hasOwnProperty.call(object, name);

/**
 * How a parameter's paths are read by the host: `fields` skips what it does not know past the
 * first name; `sort` takes a column of the collection (a path is refused before, see
 * badQueryNames); a filter (and `filterKeys`) walks associations to a column, after which only
 * the keys of a JSON column of the collection itself may follow; an export's columns walk
 * associations to a column or end at one.
 */
type Reading = 'fields' | 'sort' | 'filter' | 'columns';

/** The first name of a path the host would fail on, read as {@link Reading} says. */
function unknownStep(model: ModelLike, path: string[], reading: Reading): string | undefined {
  let current = model;
  for (let index = 0; index < path.length; index++) {
    const name = path[index];
    // Own names only: `constructor` or `__proto__` is no association of any model.
    if (hasOwn(current.associations, name)) {
      if (reading === 'fields') {
        return undefined;
      }
      current = current.associations[name].target;
    } else if (hasOwn(current.rawAttributes, name)) {
      const json = reading === 'filter' && index === 0 && current.rawAttributes[name].type?.key?.includes('JSON');
      return index === path.length - 1 || json ? undefined : path[index + 1];
    } else {
      return name;
    }
  }
  // A path that ends at an association: the host's filter parser and sort have no column.
  return reading === 'fields' || reading === 'columns' || path.length === 0 ? undefined : path[path.length - 1];
}

/**
 * `appends` and `except` skip names the host does not know, but for those every object has
 * (`constructor`, `toString`, …): the host takes them for fields and fails on them, a 500.
 */
function inheritedName(model: ModelLike, path: string[]): string | undefined {
  let current: ModelLike | undefined = model;
  for (const name of path) {
    if (current && hasOwn(current.associations, name)) {
      current = current.associations[name].target;
    } else if (current && hasOwn(current.rawAttributes, name)) {
      current = undefined;
    } else if (name in Object.prototype) {
      return name;
    } else {
      current = undefined;
    }
  }
  return undefined;
}

type Operators = Map<string, unknown>;

/**
 * The first name in a filter the host would fail on: an operator the database does not have
 * (passed on to Sequelize), or a path (see {@link unknownStep}). An operator of the host's own
 * (a function) takes its whole value, and the rest of a dotted key, whatever they hold. The
 * path is one array, grown and cut back, so the walk is linear in what the filter holds.
 */
function unknownInFilter(filter: unknown, model: ModelLike, operators: Operators, path: string[] = [], depth = 0): string | undefined {
  if ((!isObject(filter) && !Array.isArray(filter)) || !Object.keys(filter).length) {
    return path.length ? unknownStep(model, path, 'filter') : undefined;
  }
  // Past the depth a request's filter may have (the role's scope adds a few levels): named as
  // unknown, never let through unread.
  if (depth > 2 * FILTER_NAMES_LIMIT) {
    return '…';
  }
  for (const [key, value] of Object.entries(filter)) {
    const length = path.length;
    let consumed = false;
    for (const part of names([key])) {
      if (part.startsWith('$')) {
        if (!operators.has(part)) {
          path.length = length;
          return part;
        }
        if (typeof operators.get(part) === 'function') {
          consumed = true;
          break;
        }
      } else if (!/^\d+$/.test(part)) {
        path.push(part);
      }
    }
    const unknown = consumed
      ? path.length
        ? unknownStep(model, path, 'filter')
        : undefined
      : unknownInFilter(value, model, operators, path, depth + 1);
    path.length = length;
    if (unknown !== undefined) {
      return unknown;
    }
  }
  return undefined;
}

/** The request's collection (or an association's target), as a model. */
function requestModel(ctx: Context): ModelLike | undefined {
  const [source, association] = ctx.action.resourceName.split('.');
  const sourceModel = modelOf(ctx, source);
  if (association === undefined) {
    return sourceModel;
  }
  return sourceModel && hasOwn(sourceModel.associations, association) ? sourceModel.associations[association].target : undefined;
}

const unknownName = (name: string) =>
  refusals.badInput('The query names a field or operator that does not exist: {{name}}.', { name: name.slice(0, 100) });

/**
 * A name in a request's `fields`, `sort`, filter (or `filterKeys`) that the host would fail on
 * with a 500 or a bare database refusal: an unknown field or operator, a name past a column, a
 * path that ends at an association where a column is needed, an empty part (`a..b`).
 * `appends` and `except` are checked only for names every object has (see {@link inheritedName}):
 * the host skips the other names it does not know there.
 * Collections without a Sequelize model (some external data sources) are not checked.
 */
export function badQueryNames(ctx: Context, filterKeys: string[] = []): KeywardError | undefined {
  const model = requestModel(ctx);
  if (!model) {
    return undefined;
  }
  const { params } = ctx.action;
  // The host sorts by a column of the collection itself (through an association it fails), and
  // its `except` fails on an association or a path.
  const notOwn = [...items(params.sort), ...items(params.except)].find((item) => item.includes('.') || hasOwn(model.associations, item));
  if (notOwn !== undefined) {
    return refusals.badInput('sort and except take the collection’s own fields: {{name}} is none.', { name: notOwn.slice(0, 100) });
  }
  const lists: [Reading, string[]][] = [
    ['fields', items(params.fields)],
    ['sort', items(params.sort)],
    ['filter', filterKeys],
  ];
  for (const [reading, list] of lists) {
    for (const item of list) {
      const path = item.split('.');
      const unknown = path.includes('') ? item : unknownStep(model, path, reading);
      if (unknown !== undefined) {
        return unknownName(unknown);
      }
    }
  }
  for (const item of [...items(params.appends), ...items(params.except)]) {
    const inherited = inheritedName(model, item.split('.'));
    if (inherited !== undefined) {
      return unknownName(inherited);
    }
  }
  const operators: Operators = (ctx.dataSource?.collectionManager?.db ?? ctx.db)?.operators ?? new Map();
  const unknown = unknownInFilter(params.filter, model, operators);
  return unknown === undefined ? undefined : unknownName(unknown);
}

/** The ids an association's link action names, as the host reads them: `tk` in the body, or the body itself. */
export function linkedTk(params: { filterByTk?: unknown; filterByTks?: unknown; values?: unknown }): unknown {
  const given = params.filterByTk || params.filterByTks || params.values;
  return isObject(given) && 'tk' in given ? given.tk : given;
}

/** Whether the request's resource is an association to one record (belongs-to, has-one). */
function isSingleRelation(ctx: Context): boolean {
  const [source, association] = ctx.action.resourceName.split('.');
  if (association === undefined) {
    return false;
  }
  const collections = ctx.dataSource?.collectionManager ?? ctx.db;
  const type = (collections.getCollection(source)?.getField(association) as { type?: string } | undefined)?.type;
  return type === 'belongsTo' || type === 'hasOne';
}

/** Actions that read many rows: a relation to one has no repository for them (a 500). */
const SINGLE_RELATION_READS_MANY = new Set(['list', 'export']);

/** Actions that change the one row a relation to one leads to. */
const SINGLE_RELATION_WRITES = new Set(['update', 'destroy']);

/** Association actions that link rows by id: the host takes the ids from `filterByTk`, `filterByTks` or the body. */
const LINK_ACTIONS = new Set(['add', 'set', 'remove']);

/**
 * Whether an association's add, set or remove names the rows it links as the host reads them
 * (`tk` in the body, or the body itself): one id, or for a relation to many a list of ids (or of
 * `[id, values of the link]`); `null` unlinks a single relation, which `remove` needs nothing
 * for. Anything else the host writes as it is (`[object Object]` as a foreign key, every link
 * removed) or fails on (a 500 that prints its transaction).
 */
function linksRecords(ctx: Context): boolean {
  const { actionName, params } = ctx.action;
  const single = isSingleRelation(ctx);
  if (single && actionName === 'remove') {
    return true;
  }
  const tk = linkedTk(params);
  if (single) {
    return tk === null || isRecordKey(tk);
  }
  return isRecordKey(tk) || (Array.isArray(tk) && tk.every((item) => isRecordKey(item) || (Array.isArray(item) && isRecordKey(item[0]))));
}

/** Plugins' own actions a key may call that find their row by one uid (`uiSchemas:getJsonSchema/<uid>`), failing with a 500 without it. */
const BY_ONE_UID = new Set(['uiSchemas:getJsonSchema', 'uiSchemas:getProperties', 'uiSchemas:getParentJsonSchema']);

/** A plugin's own action called without the one uid it finds its row by. */
export function missingUid(ctx: Context): KeywardError | undefined {
  const { resourceName, actionName, params } = ctx.action;
  const uid = params.filterByTk;
  return BY_ONE_UID.has(`${resourceName}:${actionName}`) && !(typeof uid === 'string' && uid !== '')
    ? refusals.badInput('{{action}} takes one uid, in its path.', { action: `${resourceName}:${actionName}` })
    : undefined;
}

/** The host's generic actions that find their row by `filterKeys`: without them, a 500. */
const FINDS_BY_FILTER_KEYS = new Set(['updateOrCreate', 'firstOrCreate']);

/**
 * Parameters the host's own generic actions need and fail without, with a 500: `filterKeys`
 * naming fields for `updateOrCreate`/`firstOrCreate`, columns for `export` and the import
 * template, a sort field for `move`.
 */
export function badActionParams(ctx: Context): KeywardError | undefined {
  const { resourceName, actionName, params } = ctx.action;
  if (SINGLE_RELATION_READS_MANY.has(actionName) && isSingleRelation(ctx)) {
    return refusals.badInput('A relation to one record is read with get, not {{action}}.', { action: actionName });
  }
  // The host finds the one related row by the relation alone, past `filterByTk` and the filter
  // the ACL put there (the role's scope): a key changes that row through its own collection.
  if (ctx.state.apiKey && SINGLE_RELATION_WRITES.has(actionName) && isSingleRelation(ctx)) {
    return refusals.badInput('With an API key, a relation to one record is changed through its own collection, not {{action}} on the relation.', {
      action: actionName,
    });
  }
  if (FINDS_BY_FILTER_KEYS.has(actionName)) {
    // The host finds one row by a list's values, then writes each record of the list by its key
    // alone, past the role's scope and field list.
    if (Array.isArray(params.values)) {
      return refusals.badInput('{{action}} takes one record, not a list.', { action: actionName });
    }
    const keys = [params.filterKeys].flat();
    if (!keys.length || !keys.every((key) => typeof key === 'string' && key)) {
      return refusals.badInput('{{action}} needs filterKeys: the fields that find the row.', { action: actionName });
    }
    // A value is the row's, to find it by and write: an object would be an operator, finding some other row.
    if (isObject(params.values) && keys.some((key) => isObject(params.values[key as string]) || Array.isArray(params.values[key as string]))) {
      return refusals.badInput('{{action}} finds its row by the values of filterKeys: each is a value, not an object or a list.', { action: actionName });
    }
    return badQueryNames(ctx, keys as string[]);
  }
  if (actionName === 'export') {
    return badColumns(ctx, params.values?.columns ?? params.columns, actionName);
  }
  // The import template takes only the columns' titles, from a list as sent: not its JSON.
  if (actionName === 'downloadXlsxTemplate') {
    const columns = params.values?.columns;
    return Array.isArray(columns) && columns.every(isObject) ? undefined : columnsShape(actionName);
  }
  // The host reads the record to link or unlink from `tk`, and fails on anything but one id.
  if (actionName === 'toggle' && resourceName.includes('.') && !isRecordKey(params.values?.tk)) {
    return refusals.badInput('toggle takes the record to link or unlink as tk: one id.');
  }
  if (LINK_ACTIONS.has(actionName) && resourceName.includes('.') && !linksRecords(ctx)) {
    return refusals.badInput('{{action}} takes the ids of the records to link or unlink: one, a list, or null to unlink a single relation.', { action: actionName });
  }
  if (actionName === 'move' && !resourceName.includes('.')) {
    const collections = ctx.dataSource?.collectionManager ?? ctx.db;
    if (params.sortField !== undefined && typeof params.sortField !== 'string') {
      return refusals.badInput('move needs a sort field: {{field}} is none.', { field: JSON.stringify(params.sortField).slice(0, 100) });
    }
    const sortField = typeof params.sortField === 'string' ? params.sortField : 'sort';
    if (collections?.getCollection?.(resourceName)?.getField(sortField)?.type !== 'sort') {
      return refusals.badInput('move needs a sort field: {{field}} is none.', { field: sortField.slice(0, 100) });
    }
  }
  return undefined;
}

const columnsShape = (action: string) =>
  refusals.badInput('{{action}} needs columns: a list of { dataIndex: [a field, …] }.', { action });

/**
 * The columns of the export and import plugins (`{ dataIndex: ['createdBy', 'nickname'] }`, as a
 * list or its JSON): each `dataIndex` is a path their services resolve field by field, failing
 * with a 500 on anything else.
 */
export function badColumns(ctx: Context, columns: unknown, action: string): KeywardError | undefined {
  let list = columns;
  if (typeof list === 'string') {
    try {
      list = JSON.parse(list);
    } catch {
      return columnsShape(action);
    }
  }
  const paths = Array.isArray(list) ? list.map((column) => (isObject(column) ? column.dataIndex : undefined)) : [];
  const wellFormed = (path: unknown): path is string[] =>
    Array.isArray(path) && path.length > 0 && path.every((name) => typeof name === 'string' && name !== '');
  if (!Array.isArray(list) || !list.length || !paths.every(wellFormed)) {
    return columnsShape(action);
  }
  const model = requestModel(ctx);
  const unknown = model && (paths as string[][]).map((path) => unknownStep(model, path, 'columns')).find((name) => name !== undefined);
  return unknown === undefined ? undefined : unknownName(unknown);
}
