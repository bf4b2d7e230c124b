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
 * The filter the request itself sent, in its query as the host parses it (the host reads a
 * list's filter there, not in the body), or undefined. The role's scope, which the ACL adds to
 * the action's filter, is not in it.
 */
export function sentFilter(ctx: Pick<Context, 'querystring'>): unknown {
  try {
    return parseQuery(ctx.querystring).filter;
  } catch {
    return undefined; // Refused before any handler (see checkRequestShape).
  }
}
