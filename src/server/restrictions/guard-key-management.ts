import type { Context, Next } from '@nocobase/actions';
import { COLLECTION } from '../../constants';
import { refusals, throwKeywardError } from '../errors';
import { snippetGranted } from './snippet-rules';

const READ_ACTIONS = new Set(['list', 'get']);

/**
 * ACL hook on `apiKeys:*`. Key management is granted by our snippet alone, never by a role's
 * general collection strategy; and a request made with a key may read keys but never mint,
 * change or revoke them, whatever its role allows, so a leaked key cannot make more.
 */
export function guardKeyManagement(snippet: string) {
  return async function guardKeyManagement(ctx: Context, next: Next) {
    const { resourceName, actionName } = ctx.action;
    if (resourceName !== COLLECTION && !resourceName.startsWith(`${COLLECTION}.`)) {
      return next();
    }
    if (ctx.state.apiKey && !READ_ACTIONS.has(actionName)) {
      throwKeywardError(ctx, refusals.managedByKey());
    }
    const roles: string[] = ctx.state.currentRoles ?? [];
    const granted = roles.some((name) => {
      const role = ctx.app.acl.getRole(name);
      return name === 'root' || (role !== undefined && snippetGranted(role.snippets, snippet));
    });
    if (!granted) {
      return ctx.throw(403, 'No permissions');
    }
    // Granted here, so the host's own check must not undo it for `pm.*` (see snippet-rules);
    // each action limits itself to the caller's own keys.
    ctx.permission.skip = true;
    await next();
  };
}
