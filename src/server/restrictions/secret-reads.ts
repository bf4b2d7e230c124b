import type { Context } from '@nocobase/actions';
import { keyMayRead } from './account-collections';
import { isObject } from '../is-object';
import { FILTER_NAMES_LIMIT, listed, names, nestsDeeper, TEMPLATE } from '../query-paths';

interface FieldLike {
  target?: string;
  options?: { hidden?: boolean };
}

interface CollectionLike {
  getField(name: string): FieldLike | undefined;
}

/**
 * Every field path a filter names, read as the host's filter parser reads it: flattened to
 * dotted keys, with operators (`$not`, `$and`, `$like`, …) and array or object indexes (`$and`
 * given as `{ "0": … }`) dropped, whatever they nest.
 */
function filterPaths(filter: unknown, prefix: string[] = [], depth = 0): string[][] {
  if (typeof filter !== 'object' || filter === null || depth > FILTER_NAMES_LIMIT) {
    return prefix.length ? [prefix] : [];
  }
  const entries = Object.entries(filter);
  if (!entries.length) {
    return prefix.length ? [prefix] : [];
  }
  return entries.flatMap(([key, value]) => {
    const path = [...prefix, ...names([key]).filter((part) => !part.startsWith('$') && !/^\d+$/.test(part))];
    return filterPaths(value, path, depth + 1);
  });
}

/**
 * The fields of the current user that a filter's values read through `{{ $user.<path> }}`: the
 * host fills them in from the users table, hidden fields included, and a comparison or a
 * date parse then answers with them.
 */
function userVariablePaths(value: unknown, depth = 0): string[][] {
  if (typeof value === 'string') {
    const key = TEMPLATE.exec(value)?.[1].trim();
    return key?.startsWith('$user') ? [names([key.substring(6)])] : [];
  }
  if (typeof value !== 'object' || value === null || depth > FILTER_NAMES_LIMIT) {
    return [];
  }
  return Object.values(value).flatMap((item) => userVariablePaths(item, depth + 1));
}

/** A query's fields: `['createdBy', 'email']`, `'createdBy.email'` or `'.password'`. */
const queryFields = (items: unknown): string[][] =>
  [items].flat().flatMap((item) => {
    const field = isObject(item) ? item.field : undefined;
    return Array.isArray(field) || typeof field === 'string' ? [names([field].flat())] : [];
  });

/** Whether a path from the collection reaches a collection a key may not read, or a hidden field. */
function reachesSecret(ctx: Context, start: string, path: string[]): boolean {
  let collection = ctx.db?.getCollection(start) as CollectionLike | undefined;
  for (const name of path) {
    const field = collection?.getField(name);
    if (!field) {
      return false;
    }
    if (field.options?.hidden) {
      return true;
    }
    if (!field.target) {
      return false;
    }
    if (!keyMayRead(field.target)) {
      return true;
    }
    collection = ctx.db.getCollection(field.target) as CollectionLike | undefined;
  }
  return false;
}

/**
 * Whether each name is a field of the collection the one before reaches, from `start`: what a
 * variable (`{{$user.…}}`) may follow. The host follows any property of the row it loaded (its
 * model's `constructor`, and the app behind it), so a name that is no field is none to follow.
 * Where a column ends the path nothing follows. Hidden fields and whole rows are for
 * {@link readsSecrets} to refuse.
 */
export function isFieldPath(ctx: Context, start: string, path: string[]): boolean {
  let collection = ctx.db?.getCollection(start) as CollectionLike | undefined;
  for (const name of path) {
    // A collection keeps its fields in a Map: `constructor` is none of them.
    const field = collection?.getField(name);
    if (!field) {
      return false;
    }
    collection = field.target ? (ctx.db.getCollection(field.target) as CollectionLike | undefined) : undefined;
  }
  return true;
}

/**
 * Whether a variable's path stops at a whole row (`{{$user}}`, `{{$user.createdBy}}`), or rows:
 * the host loads those with every column, hidden ones included, and fails on the object with a
 * message that prints it.
 */
function reachesRow(ctx: Context, start: string, path: string[]): boolean {
  let collection = ctx.db?.getCollection(start) as CollectionLike | undefined;
  let target: string | undefined = start;
  for (const name of path) {
    target = collection?.getField(name)?.target;
    collection = target ? (ctx.db.getCollection(target) as CollectionLike | undefined) : undefined;
  }
  return target !== undefined;
}

/** A path of fields from `start` that ends at a visible column: what a variable may name. */
export const isColumnPath = (ctx: Context, start: string, path: string[]) =>
  path.length > 0 && isFieldPath(ctx, start, path) && !reachesSecret(ctx, start, path) && !reachesRow(ctx, start, path);

/**
 * Whether a request made with a key would read a collection a key may not read (see
 * account-collections), or a hidden field (a password hash), however it names it: the
 * resource, an association's path, `appends`, `fields`, `sort`, a filter or a `filterByTk`
 * object (which answer through what they match, and whose `{{ $user.… }}` values the host
 * fills in from the owner's row), or a query's (a chart's, the generic `query`) collection,
 * fields and filter. Main data source only: the collections are the host's own.
 */
export function readsSecrets(ctx: Context, filters: unknown[]): boolean {
  const { resourceName, actionName, params } = ctx.action;
  const [source, association] = resourceName.split('.');
  // A chart's query names its collection; the generic `query` action queries its resource.
  const chart = resourceName === 'charts' && actionName === 'queryData';
  const query = chart || actionName === 'query';
  const values = (isObject(params.values) ? params.values : {}) as Record<string, unknown>;
  const start = chart ? String(values.collection ?? '') : source;
  if (!keyMayRead(start)) {
    return true;
  }
  const base = association ? [association] : [];
  const paths = query
    ? [...queryFields(values.measures), ...queryFields(values.dimensions), ...queryFields(values.orders)]
    : [...listed(params.appends), ...listed(params.fields), ...listed(params.sort)];
  // A filter deeper than its paths are read counts as one that reads secrets: what is not read is
  // not let through.
  if (filters.some((filter) => nestsDeeper(filter, FILTER_NAMES_LIMIT))) {
    return true;
  }
  paths.push(...filters.flatMap((filter) => filterPaths(filter)));
  return (
    [base, ...paths.map((path) => [...base, ...path])].some((path) => path.length && reachesSecret(ctx, start, path)) ||
    filters.flatMap((filter) => userVariablePaths(filter)).some((path) => reachesSecret(ctx, 'users', path) || reachesRow(ctx, 'users', path))
  );
}

/** `appends`, `fields`, `sort` and `except` name fields: text, or a list of it, never an object. */
export function namesFieldsPlainly(ctx: Context): boolean {
  const { params } = ctx.action;
  return [params.appends, params.fields, params.sort, params.except].every(
    (value) => value === undefined || typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string')),
  );
}
