import type { Context, Next } from '@nocobase/actions';
import { AUTHENTICATOR } from '../../constants';
import { refusals, throwKeywardError } from '../errors';
import { keyInQuery, presentedKey } from './key-transport';

/**
 * Runs just before the host's auth middleware and points it at our authenticator whenever a
 * key is presented, whatever `X-Authenticator` header or authenticator cookie came along
 * (a JS block calling its own origin sends the signed-in user's cookies too).
 */
export async function routeKeyRequests(ctx: Context, next: Next) {
  if (keyInQuery(ctx)) {
    throwKeywardError(ctx, refusals.inQuery());
  }
  if (presentedKey(ctx) !== undefined) {
    ctx.request.headers['x-authenticator'] = AUTHENTICATOR;
  }
  await next();
}
