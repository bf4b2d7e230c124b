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

/** The token in an Authorization header as the host reads it (with or without `Bearer `), unless it names another scheme. */
function otherBearerToken(authorization = ''): string {
  const value = authorization.trim();
  return /^bearer(\s|$)/i.test(value) || !/\s/.test(value) ? value.replace(/^bearer(\s+|$)/i, '') : '';
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
      // A key in X-API-Key beside another bearer token: which one the request stands for is
      // unclear, and host code that reads Authorization (the flow engine takes a session from
      // it, unverified) would act on the other. Another scheme (`Basic`, a proxy's) is left be.
      const token = otherBearerToken(ctx.req.headers.authorization);
      if (token && token !== key) {
        throwKeywardError(ctx, refusals.twoCredentials());
      }
      routed.set(ctx, key);
      ctx.req.headers['x-authenticator'] = AUTHENTICATOR;
      // The request's bearer token, for host code that asks, is the key it is verified by: never a
      // token that came beside it in the URL or a cookie.
      (ctx as { getBearerToken?: () => string }).getBearerToken = () => key;
    }
    await next();
  };
}
