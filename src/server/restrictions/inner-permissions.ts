import type { Context, Next } from '@nocobase/actions';
import { rowOf } from '../table-row';

/**
 * Host actions whose permission the host asks only inside the action, after every data-source
 * middleware (ours included) has run; one row per action, with the actions it then asks the
 * role for. Until then, our checks of names and values would answer for a collection the role
 * may not use, naming its fields.
 */
const ASKED_INSIDE: Record<string, string[]> = {
  // Its pre-action handler asks for `view` before the aggregate runs.
  query: ['view'],
  // `create` when no row matches the values of filterKeys, `get` when one does; the lookup
  // itself runs first, outside the role's scope.
  firstOrCreate: ['create', 'get'],
  // `create` when no row matches, `update` when one does; the lookup runs first, unscoped too.
  updateOrCreate: ['create', 'update'],
};

/**
 * On requests of ours, right after the ACL: such an action on a collection whose role holds
 * none of the permissions it will ask for gets the host's own 403 now, which the host would
 * answer anyway, after running the request's lookup.
 */
export function askInnerPermissionsFirst(isOurs: (ctx: Context) => boolean) {
  return async function askInnerPermissionsFirst(ctx: Context, next: Next) {
    const actionName = ctx.action?.actionName;
    const asked = rowOf(ASKED_INSIDE, actionName);
    if (asked && typeof ctx.can === 'function' && isOurs(ctx)) {
      const resource = ctx.permission?.resourceName ?? ctx.action.resourceName;
      const allowed = asked.some((action) => ctx.can({ resource, action, rawResourceName: ctx.action.resourceName }));
      if (!allowed) {
        ctx.throw(403, 'No permissions');
      }
    }
    await next();
  };
}
