import type { Context, Next } from '@nocobase/actions';
import { AUTHENTICATOR } from '../../constants';
import { refusals, throwKeywardError } from '../errors';
import { keyInQuery, presentedKey, type ImportedTokenCheck } from './key-transport';

/** The requests this middleware handed to our authenticator, with the key each presented. */
const routed = new WeakMap<object, string>();

/**
 * The key our authenticator may verify for this context: only one this routing accepted.
 * Code that builds its own context and asks the auth manager for `keyward` by name (the
 * IdP's login bridge, the websocket sign-in) gets nothing, so a key never becomes a session.
 */
export function routedKey(ctx: object): string | undefined {
  return routed.get(ctx);
}

/**
 * Runs just before the host's auth middleware and points it at our authenticator whenever a
 * key is presented, whatever `X-Authenticator` header or authenticator cookie came along
 * (a JS block calling its own origin sends the signed-in user's cookies too).
 */
export function routeKeyRequests(isImported: ImportedTokenCheck) {
  return async function routeKeyRequests(ctx: Context, next: Next) {
    if (keyInQuery(ctx, isImported)) {
      throwKeywardError(ctx, refusals.inQuery());
    }
    const key = presentedKey(ctx, isImported);
    if (key !== undefined) {
      routed.set(ctx, key);
      ctx.req.headers['x-authenticator'] = AUTHENTICATOR;
    }
    await next();
  };
}
