import type { Context, Next } from '@nocobase/actions';
import { refusals, throwKeywardError } from '../errors';
import { presentedKey, type ImportedTokenCheck } from '../verification/key-transport';

/**
 * Endpoints the host serves outside its resources that sign people in or hand out tokens: the
 * IdP plugin's OAuth/OIDC provider, its login and consent interactions and device approval,
 * and the discovery documents. A request that carries a key never reaches them, so a key
 * cannot be traded for a session or an OAuth token. (Sign-in actions that are resources, such
 * as `auth:signIn`, are refused by the signed-in action table.)
 */
const IDENTITY_PATHS = [/\/idpOAuth(?:[/:?]|$)/i, /\/\.well-known\//i, /\/oidc(?:[/:?]|$)/i];

export function refuseKeysAtIdentityEndpoints(isImported: ImportedTokenCheck) {
  return async function refuseKeysAtIdentityEndpoints(ctx: Context, next: Next) {
    if (IDENTITY_PATHS.some((pattern) => pattern.test(ctx.path)) && presentedKey(ctx, isImported) !== undefined) {
      throwKeywardError(ctx, refusals.accountActionRefused());
    }
    await next();
  };
}
