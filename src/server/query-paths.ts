import type { Context } from '@nocobase/actions';
import { Repository } from '@nocobase/database';
import { isObject } from './is-object';
import { rowOf } from './table-row';
import { parseQuery } from '@nocobase/resourcer';

/** A field path's names as the host reads them: dotted text, empty parts dropped. */
export const names = (parts: unknown[]): string[] => parts.flatMap((part) => String(part).split('.')).filter(Boolean);

/** `appends`, `fields`, `sort`, `filterKeys` items: arrays, or comma-separated text, `-` for descending. */
export const items = (value: unknown): string[] =>
  [value]
    .flat()
    .flatMap((item) => (typeof item === 'string' ? item.split(',') : []))
    .map((item) => item.trim().replace(/^-/, ''))
    .filter(Boolean);

/** The same items as field paths. */
export const listed = (value: unknown): string[][] => items(value).map((item) => names([item])).filter((path) => path.length > 0);

/**
 * The query string as the host parses it, or nothing when it does not parse (refused before
 * any handler, see checkRequestShape). The role's scope, which the ACL adds to the action's
 * filter, is not in it.
 */
export function sentQuery(ctx: Pick<Context, 'querystring'>): Record<string, unknown> {
  try {
    return parseQuery(ctx.querystring);
  } catch {
    return {};
  }
}

/** The filter the request itself sent, in its query (the host reads a list's filter there, not in the body). */
export const sentFilter = (ctx: Pick<Context, 'querystring'>): unknown => sentQuery(ctx).filter;

export type Params = Record<string, any>;

/**
 * The actions whose filter the host reads from the body, as it reads it there: no variable step
 * fills these in. One row per action. Every other action's filter is the query string's.
 */
export const BODY_FILTERS: Readonly<Record<string, (params: Params) => unknown>> = {
  // The aggregate action takes its filter with its measures, in the body.
  query: (params) => params.values?.filter,
  // These find their row with the values of filterKeys, as a filter.
  firstOrCreate: (params) => Repository.valuesToFilter(params.values, params.filterKeys),
  updateOrCreate: (params) => Repository.valuesToFilter(params.values, params.filterKeys),
};

/**
 * More than this many names in one path, or objects nested deeper, and the host's ACL fails (a
 * 500). Every walk of a filter of ours goes this deep and refuses what goes deeper.
 */
export const FILTER_NAMES_LIMIT = 64;

/** Level by level, not by recursion: a value may be as deep as the host's stack is not. */
export function nestsDeeper(value: unknown, limit: number): boolean {
  let level = [value];
  for (let depth = 0; level.length; depth++) {
    if (depth > limit) {
      return true;
    }
    level = level.flatMap((item) => (typeof item === 'object' && item !== null ? Object.values(item) : []));
  }
  return false;
}

/** A chart's query: its filter is in the body, and the host's variable step fills it in. */
export const chartQuery = ({ action }: Pick<Context, 'action'>) => action.resourceName === 'charts' && action.actionName === 'queryData';

/** The generic `query` action and a chart's: their body holds a filter, measures, dimensions, orders. */
export const queries = (ctx: Pick<Context, 'action'>) => ctx.action.actionName === 'query' || chartQuery(ctx);

/**
 * The filters the request itself sent: the query string's, a `filterByTk` object, those the host
 * reads from the body (a query's, the values of `filterKeys`), a chart's, and a query's `having`.
 * The role's scope, which the ACL adds, is not among them.
 */
export function sentFilters(ctx: Pick<Context, 'action'>): unknown[] {
  const { params, actionName } = ctx.action;
  const { filter, filterByTk, values } = params;
  let fromBody: unknown;
  try {
    fromBody = rowOf(BODY_FILTERS, actionName)?.(params);
  } catch {
    // filterKeys the host cannot read: refused after the ACL (unknown-names.ts).
  }
  const body = isObject(values) ? values : {};
  return [filter, isObject(filterByTk) ? filterByTk : undefined, fromBody, chartQuery(ctx) ? body.filter : undefined, queries(ctx) ? body.having : undefined];
}

/** A whole variable (`{{ $user.id }}`), its name captured, as the host's variable step matches it. */
export const TEMPLATE = /^\s*\{\{([\s\S]*)\}\}\s*$/;
