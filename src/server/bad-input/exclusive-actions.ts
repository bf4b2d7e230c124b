import type { Context, Next } from '@nocobase/actions';
import { KeywardError, refusals, throwKeywardError } from '../errors';
import { rowOf } from '../table-row';

/**
 * Host actions that run one at a time in a process: a second one meanwhile gets a plain Error
 * (a 500) with this message, translated in its plugin's namespace. One row per action.
 */
const EXCLUSIVE: Record<string, { message: string; ns: string }> = {
  // The export plugin's mutex: one export per process.
  export: { message: 'another export action is running, please try again later.', ns: 'action-export' },
  // The import plugin's mutex: one import per process.
  importXlsx: { message: 'another import action is running, please try again later.', ns: 'action-import' },
};

/**
 * On requests of ours, after the ACL: an exclusive action refused because another one is
 * running is a 429 with `Retry-After`, the answer a client retries, not the host's 500.
 */
export function answerBusyActions(isOurs: (ctx: Context) => boolean) {
  return async function answerBusyActions(ctx: Context, next: Next) {
    const actionName = ctx.action?.actionName;
    const exclusive = rowOf(EXCLUSIVE, actionName);
    if (!exclusive || !isOurs(ctx)) {
      return next();
    }
    try {
      await next();
    } catch (error) {
      const message = error instanceof Error && !(error instanceof KeywardError) ? error.message : undefined;
      if (message !== undefined && (message === exclusive.message || message === ctx.t?.(exclusive.message, { ns: exclusive.ns }))) {
        throwKeywardError(ctx, refusals.busy(actionName));
      }
      throw error;
    }
  };
}
