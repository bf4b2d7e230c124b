import type { ACL } from '@nocobase/acl';
import type { Context, Next } from '@nocobase/actions';
import { COLLECTION, USAGE_COLLECTION } from '../../constants';
import { refusals, throwKeywardError } from '../errors';
import { rolesGrantSnippet } from './snippet-rules';
import { rowOf } from '../table-row';

/**
 * The only actions on `apiKeys`, for anybody, administrators included. Every other action the
 * host could serve on a collection (export, import, firstOrCreate, …) and every association
 * path (`apiKeys/<id>/createdBy`, `apiKeys/<id>/role`) is refused: those reach the users and
 * roles behind a key, or rows and columns the five actions never hand out.
 */
export const MANAGEMENT_ACTIONS: Readonly<Record<string, { write: boolean; reason: string }>> = {
  list: { write: false, reason: "the caller's own keys, filtered on their own non-secret columns" },
  get: { write: false, reason: "one of the caller's own keys" },
  usage: { write: false, reason: "one of the caller's own keys' requests per day, answered and refused by code" },
  create: { write: true, reason: 'a key for one of the caller’s roles; the only answer that holds the secret' },
  update: { write: true, reason: 'rename, disable or shorten an own key; never its role, owner or hash' },
  destroy: { write: true, reason: 'revoke own keys, all or nothing' },
};

/**
 * The methods a change may come by (REST maps PUT, PATCH and DELETE onto update and destroy);
 * any other never changes anything: a link, an image tag or a WebDAV verb must not revoke a key.
 */
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A request's method that cannot change anything. The host's ACL plugin also runs the ACL on
 * contexts of its own, with no method, to tell the settings page which rows allow which actions.
 */
export const readMethod = (method: unknown) => typeof method === 'string' && !WRITE_METHODS.has(method);

/** `<collection>.<association>` resources whose association leads to the keys, from any side. */
function reachesKeys(ctx: Context, resourceName: string): boolean {
  const [source, association] = resourceName.split('.');
  // The usage rows are served by apiKeys:usage alone.
  if (source === COLLECTION || source === USAGE_COLLECTION) {
    return true;
  }
  if (!association) {
    return false;
  }
  const field = ctx.db?.getCollection(source)?.getField(association) as { target?: string } | undefined;
  return field?.target === COLLECTION || field?.target === USAGE_COLLECTION;
}

/**
 * ACL hook before the host's own check. Key management is granted by our snippet alone, never
 * by a role's general collection strategy; and a request made with a key may not reach them at
 * all, whatever its role allows.
 */
export function guardKeyManagement(acl: ACL, snippet: string) {
  return async function guardKeyManagement(ctx: Context, next: Next) {
    const { resourceName, actionName } = ctx.action;
    if (resourceName !== COLLECTION) {
      if (reachesKeys(ctx, resourceName)) {
        throwKeywardError(ctx, refusals.actionNotAllowed());
      }
      return next();
    }
    const action = rowOf(MANAGEMENT_ACTIONS, actionName);
    if (!action) {
      throwKeywardError(ctx, refusals.actionNotAllowed());
    }
    // Keys are for data: one that leaks must not show its owner's other keys, where and how
    // much they are used, nor make more.
    if (ctx.state.apiKey) {
      throwKeywardError(ctx, refusals.managedByKey());
    }
    if (action.write && readMethod(ctx.method)) {
      throwKeywardError(ctx, refusals.methodNotAllowed(ctx.method));
    }
    if (!rolesGrantSnippet(acl, ctx.state.currentRoles, snippet)) {
      return ctx.throw(403, 'No permissions');
    }
    // Granted here, so the host's own check must not undo it for `pm.*` (see snippet-rules);
    // each action limits itself to the caller's own keys.
    ctx.permission.skip = true;
    await next();
  };
}
