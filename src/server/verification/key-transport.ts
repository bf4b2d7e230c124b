import type { Context } from '@nocobase/actions';
import { KEY_HEADER, KEY_PREFIX } from '../../constants';

/** Tells the keys imported from the built-in plugin (JWTs) from the host's session tokens. */
export type ImportedTokenCheck = (token: string) => boolean;

const KEY_HEADER_NAME = KEY_HEADER.toLowerCase();

const isKey = (token: string, isImported: ImportedTokenCheck) => token.startsWith(KEY_PREFIX) || isImported(token);

/** Each request's answer, asked by several steps: telling an imported key costs a hash. */
const presented = new WeakMap<object, string | null>();

/**
 * The key a request presents, if any: the whole `X-API-Key` header, or an `Authorization` token
 * (read as the host reads it: with or without `Bearer `) that starts with our prefix or is a key
 * imported from the built-in plugin. Anything else belongs to the host's other authenticators.
 */
export function presentedKey(ctx: Pick<Context, 'req'>, isImported: ImportedTokenCheck): string | undefined {
  let key = presented.get(ctx.req);
  if (key === undefined) {
    // The headers as ctx.get reads them, without its lower-casing and delegation on every request.
    const { headers } = ctx.req;
    const header = headers[KEY_HEADER_NAME] as string | undefined;
    const token = (headers.authorization || '').replace(/^Bearer\s+/i, '').trim();
    key = header ? header.trim() : token && isKey(token, isImported) ? token : null;
    presented.set(ctx.req, key);
  }
  return key ?? undefined;
}

// The prefix's letters, the host's `token` parameter, or any percent-escape: a URL may encode
// any of its characters.
const MAY_HOLD_KEY = new RegExp(`${KEY_PREFIX.replace(/[^a-z]/gi, '')}|token|%`, 'i');

/** `?token=` ends up in access logs and browser history: a key there is refused, not used. */
export function keyInQuery(ctx: Pick<Context, 'query' | 'querystring'>, isImported: ImportedTokenCheck): boolean {
  // Nearly every request has no key in its URL: spare those parsing the query string.
  if (!MAY_HOLD_KEY.test(ctx.querystring ?? '')) {
    return false;
  }
  const token = ctx.query?.token;
  return [token].flat().some((value) => typeof value === 'string' && isKey(value, isImported));
}
