import type { Context } from '@nocobase/actions';
import { type KeywardError, refusals } from './errors';
import { isObject } from './is-object';
import { listed, names } from './query-paths';

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

/**
 * The first name of a dotted path that the model does not have, read as the host's query
 * builders read it: through associations to an attribute, after which only a JSON column's
 * own keys may follow.
 */
function unknownStep(model: ModelLike, path: string[]): string | undefined {
  let current = model;
  for (let index = 0; index < path.length; index++) {
    const name = path[index];
    // Own names only: `constructor` or `__proto__` is no association of any model.
    if (hasOwn(current.associations, name)) {
      current = current.associations[name].target;
    } else if (hasOwn(current.rawAttributes, name)) {
      return index === path.length - 1 || current.rawAttributes[name].type?.key?.includes('JSON') ? undefined : path[index + 1];
    } else {
      return name;
    }
  }
  return undefined;
}

const hasOwn = (object: object, name: string) => Object.prototype.hasOwnProperty.call(object, name);

type Operators = Map<string, unknown>;

/**
 * The first unknown name in a filter: an operator the database does not have (the host passes
 * it to Sequelize, a 500), or a field the model does not have. An operator of the host's own
 * (a function) takes its whole value, whatever it holds.
 */
function unknownInFilter(filter: unknown, model: ModelLike, operators: Operators, path: string[] = [], depth = 0): string | undefined {
  if (!isObject(filter) && !Array.isArray(filter)) {
    return path.length ? unknownStep(model, path) : undefined;
  }
  if (depth > 32) {
    return undefined;
  }
  const entries = Object.entries(filter);
  if (!entries.length) {
    return path.length ? unknownStep(model, path) : undefined;
  }
  for (const [key, value] of entries) {
    // One copy per key: a key of thousands of dotted parts costs as many steps, not their square.
    const next = path.slice();
    let consumed = false;
    for (const part of names([key])) {
      if (part.startsWith('$')) {
        if (!operators.has(part)) {
          return part;
        }
        consumed ||= typeof operators.get(part) === 'function';
      } else if (!/^\d+$/.test(part)) {
        next.push(part);
      }
    }
    const unknown = consumed ? (next.length ? unknownStep(model, next) : undefined) : unknownInFilter(value, model, operators, next, depth + 1);
    if (unknown !== undefined) {
      return unknown;
    }
  }
  return undefined;
}

/**
 * A name in a request's `fields`, `sort`, filter (or `filterKeys`) that its collection does not have, where
 * the host would answer a 500 (a name past an association, an unknown operator) or a bare
 * database refusal. `appends` and `except` are left as they are: the host skips names it does
 * not know there. Collections without a Sequelize model (some external data sources) are not
 * checked.
 */
export function badQueryNames(ctx: Context, filterKeys: string[] = []): KeywardError | undefined {
  const { resourceName, params } = ctx.action;
  const [source, association] = resourceName.split('.');
  const sourceModel = modelOf(ctx, source);
  const model =
    association === undefined
      ? sourceModel
      : sourceModel && hasOwn(sourceModel.associations, association)
        ? sourceModel.associations[association].target
        : undefined;
  if (!model) {
    return undefined;
  }
  const operators: Operators = (ctx.dataSource?.collectionManager?.db ?? ctx.db)?.operators ?? new Map();
  const unknown =
    [...listed(params.fields), ...listed(params.sort), ...filterKeys.map((key) => names([key]))]
      .map((path) => unknownStep(model, path))
      .find((name) => name !== undefined) ??
    unknownInFilter(params.filter, model, operators);
  return unknown === undefined
    ? undefined
    : refusals.badInput('The query names a field or operator that does not exist: {{name}}.', { name: unknown.slice(0, 100) });
}

/** The host's generic actions that find their row by `filterKeys`: without them, a 500. */
const FINDS_BY_FILTER_KEYS = new Set(['updateOrCreate', 'firstOrCreate']);

/**
 * Parameters the host's own generic actions need and fail without, with a 500: `filterKeys`
 * naming fields for `updateOrCreate`/`firstOrCreate`, a sort field for `move`.
 */
export function badActionParams(ctx: Context): KeywardError | undefined {
  const { resourceName, actionName, params } = ctx.action;
  if (FINDS_BY_FILTER_KEYS.has(actionName)) {
    const keys = [params.filterKeys].flat();
    if (!keys.length || !keys.every((key) => typeof key === 'string' && key)) {
      return refusals.badInput('{{action}} needs filterKeys: the fields that find the row.', { action: actionName });
    }
    return badQueryNames(ctx, keys as string[]);
  }
  if (actionName === 'move' && !resourceName.includes('.')) {
    const collections = ctx.dataSource?.collectionManager ?? ctx.db;
    const sortField = typeof params.sortField === 'string' ? params.sortField : 'sort';
    if (collections?.getCollection?.(resourceName)?.getField(sortField)?.type !== 'sort') {
      return refusals.badInput('move needs a sort field: {{field}} is none.', { field: sortField.slice(0, 100) });
    }
  }
  return undefined;
}

