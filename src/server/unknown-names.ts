import type { Context } from '@nocobase/actions';
import { type KeywardError, refusals } from './errors';
import { isObject } from './is-object';
import { listed, names } from './query-paths';

interface ModelLike {
  rawAttributes: Record<string, unknown>;
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
 * builders read it: through associations to an attribute, where the names stop (a JSON
 * field's own keys may follow).
 */
function unknownStep(model: ModelLike, path: string[]): string | undefined {
  let current = model;
  for (const name of path) {
    const association = current.associations[name];
    if (association) {
      current = association.target;
    } else if (current.rawAttributes[name]) {
      return undefined;
    } else {
      return name;
    }
  }
  return undefined;
}

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
    let next = path;
    let consumed = false;
    for (const part of names([key])) {
      if (part.startsWith('$')) {
        if (!operators.has(part)) {
          return part;
        }
        consumed ||= typeof operators.get(part) === 'function';
      } else if (!/^\d+$/.test(part)) {
        next = [...next, part];
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
 * What is wrong with the names in a request's `fields`, `sort` or filter, where the host would
 * answer a 500 (a name past an association, an unknown operator, `fields` that leave no column
 * of the collection itself to select) or a bare database refusal: a field the collection does
 * not have. `appends` and `except` are left as they are: the host skips names it does not know
 * there. Collections without a Sequelize model (some external data sources) are not checked.
 */
export function badQueryNames(ctx: Context): KeywardError | undefined {
  const { resourceName, params } = ctx.action;
  const [source, association] = resourceName.split('.');
  const sourceModel = modelOf(ctx, source);
  const model = association ? sourceModel?.associations[association]?.target : sourceModel;
  if (!model) {
    return undefined;
  }
  const operators: Operators = (ctx.dataSource?.collectionManager?.db ?? ctx.db)?.operators ?? new Map();
  const fields = listed(params.fields);
  const unknown = [...fields, ...listed(params.sort)].map((path) => unknownStep(model, path)).find((name) => name !== undefined) ??
    unknownInFilter(params.filter, model, operators);
  if (unknown !== undefined) {
    return refusals.badInput('The query names a field or operator that does not exist: {{name}}.', { name: unknown.slice(0, 100) });
  }
  // The host selects an association's fields only through appends.
  const ownColumn = fields.some((path) => path.length === 1 && model.rawAttributes[path[0]]);
  if (fields.length && !ownColumn && !listed(params.appends).length) {
    return refusals.badInput('fields names no field of the collection itself; name the association in appends too.');
  }
  return undefined;
}
