import type { Context, Next } from '@nocobase/actions';
import { COLLECTION } from '../../constants';
import { refusals, throwKeywardError } from '../errors';

const READ_ACTIONS = new Set(['list', 'get']);

/** ACL hook: a leaked key must not mint, extend or revoke keys, whatever its role allows. */
export async function forbidKeyManagement(ctx: Context, next: Next) {
  const { resourceName, actionName } = ctx.action;
  const onKeys = resourceName === COLLECTION || resourceName.startsWith(`${COLLECTION}.`);
  if (ctx.state.apiKey && onKeys && !READ_ACTIONS.has(actionName)) {
    throwKeywardError(ctx, refusals.managedByKey());
  }
  await next();
}
