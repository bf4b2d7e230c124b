import type { ACL } from '@nocobase/acl';
import type { Context, Next } from '@nocobase/actions';
import { HANDOVER_RESOURCE } from '../../constants';
import { refusals, throwKeywardError } from '../errors';
import { readMethod } from '../restrictions/guard-key-management';
import { rolesGrantSnippet } from '../restrictions/snippet-rules';
import type { Handover } from './handover';
import { rowOf } from '../table-row';

/** The notice about the takeover from the built-in plugin, for those who manage plugins. */
export const HANDOVER_ACTIONS: Readonly<Record<string, { write: boolean; reason: string }>> = {
  get: { write: false, reason: 'what was imported, and how many plain-text copies the built-in still holds' },
  erase: { write: true, reason: "delete the built-in's rows of imported keys, then close the notice" },
  dismiss: { write: true, reason: 'close the notice, keeping the copies (to go back to the built-in)' },
};

export function handoverActions(handover: () => Handover) {
  return {
    get: async (ctx: Context, next: Next) => {
      ctx.body = await handover().notice();
      await next();
    },
    erase: async (ctx: Context, next: Next) => {
      ctx.body = { erased: await handover().erase() };
      await next();
    },
    dismiss: async (ctx: Context, next: Next) => {
      await handover().dismiss();
      ctx.body = { pending: false };
      await next();
    },
  };
}

/**
 * ACL hook: the notice is granted by its own snippet (under `pm.*`, so administrators have it),
 * never by a role's collection strategy; its writes are never done by GET.
 */
export function guardHandover(acl: ACL, snippet: string) {
  return async function guardHandover(ctx: Context, next: Next) {
    const { resourceName, actionName } = ctx.action;
    if (resourceName !== HANDOVER_RESOURCE) {
      return next();
    }
    // The resource serves these actions only: the resourcer answers any other with a 404.
    const action = rowOf(HANDOVER_ACTIONS, actionName);
    if (action?.write && readMethod(ctx.method)) {
      throwKeywardError(ctx, refusals.methodNotAllowed(ctx.method));
    }
    if (!rolesGrantSnippet(acl, ctx.state.currentRoles, snippet)) {
      return ctx.throw(403, 'No permissions');
    }
    ctx.permission.skip = true;
    await next();
  };
}
