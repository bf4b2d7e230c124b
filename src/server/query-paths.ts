import type { Context } from '@nocobase/actions';
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
