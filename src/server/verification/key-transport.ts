import type { Context } from '@nocobase/actions';
import { KEY_HEADER, KEY_PREFIX } from '../../constants';

const BEARER = /^Bearer\s+(.*)$/i;

/** Tells the keys imported from the built-in plugin (JWTs) from the host's session tokens. */
export type ImportedTokenCheck = (token: string) => boolean;

/**
 * The key a request presents, if any: the whole `X-API-Key` header, or a bearer token that
 * starts with our prefix or is a key imported from the built-in plugin. Anything else belongs
 * to the host's other authenticators.
 */
export function presentedKey(ctx: Pick<Context, 'get'>, isImported: ImportedTokenCheck): string | undefined {
  const header = ctx.get(KEY_HEADER);
  if (header) {
    return header.trim();
  }
  const token = BEARER.exec(ctx.get('Authorization'))?.[1].trim();
  return token && (token.startsWith(KEY_PREFIX) || isImported(token)) ? token : undefined;
}

// The prefix's letters, or any percent-escape: a URL may encode any of its characters.
const MAY_HOLD_KEY = new RegExp(`${KEY_PREFIX.replace(/[^a-z]/gi, '')}|%`, 'i');

/** `?token=` ends up in access logs and browser history: a key there is refused, not used. */
export function keyInQuery(ctx: Pick<Context, 'query' | 'querystring'>): boolean {
  // Nearly every request has no key in its URL: spare those parsing the query string.
  if (!MAY_HOLD_KEY.test(ctx.querystring ?? '')) {
    return false;
  }
  const token = ctx.query?.token;
  return [token].flat().some((value) => typeof value === 'string' && value.startsWith(KEY_PREFIX));
}
