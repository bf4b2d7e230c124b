import type { Context, Next } from '@nocobase/actions';
import { refusals, throwKeywardError } from '../errors';
import { isAccountCollection } from './account-collections';
import { isReadAction } from './read-actions';
import { keyMayCall } from './signed-in-actions';

interface HostAllowances {
  skipActions: Map<string, Map<string, unknown>>;
}

/**
 * Whether the host lets any signed-in user (or anybody) call the action, whatever the role.
 * The `*:*` entry is left out: the ACL plugin uses it for the root role, a role decision.
 */
function allowedToAnySignedInUser(allowances: HostAllowances, resourceName: string, actionName: string): boolean {
  for (const resource of ['*', resourceName]) {
    const actions = allowances.skipActions.get(resource);
    for (const action of ['*', actionName]) {
      if (actions?.get(action) && !(resource === '*' && action === '*')) {
        return true;
      }
    }
  }
  return false;
}

const mentions = (value: unknown, id: string): boolean =>
  [value].flat(2).some((item) => item !== null && typeof item !== 'object' && String(item) === id);

/**
 * Whether a write may land on the owner's own user row: `users` itself (by id, or by a filter
 * that could match it), the owner's associations (`users/<owner>/roles`), or an association
 * that adds, sets or removes the owner (`roles/<name>/users`).
 */
function writesOwner(ctx: Context, source: string, association: string | undefined, ownerId: string): boolean {
  const { filterByTk, values } = ctx.action.params;
  if (source === 'users') {
    return association ? String(ctx.action.sourceId) === ownerId : filterByTk === undefined || mentions(filterByTk, ownerId);
  }
  return mentions(filterByTk, ownerId) || mentions(values, ownerId);
}

/** Account collections exist on the main data source only; another source may have a `users` table of its own. */
function accountWrite(ctx: Context): boolean {
  const { resourceName, actionName } = ctx.action;
  if (isReadAction(actionName) || (ctx.dataSource && ctx.dataSource.name !== 'main')) {
    return false;
  }
  const [source, association] = resourceName.split('.');
  const target = association
    ? (ctx.db?.getCollection(source)?.getField(association) as { target?: string } | undefined)?.target ?? association
    : undefined;
  const touched = [source, target].filter((name): name is string => Boolean(name));
  if (touched.some((name) => name !== 'users' && isAccountCollection(name))) {
    return true;
  }
  return touched.includes('users') && writesOwner(ctx, source, association, String(ctx.state.currentUser?.id));
}

/**
 * Runs on every data source right after auth, for requests made with a key only:
 * - an action the host allows to any signed-in user is called only if the signed-in action
 *   table says a key may (deny by default);
 * - a write never reaches an account collection, nor the owner's own user row.
 */
export async function restrictKeyRequests(ctx: Context, next: Next) {
  if (!ctx.state.apiKey) {
    return next();
  }
  const { resourceName, actionName } = ctx.action;
  const allowances = (ctx.dataSource?.acl ?? ctx.app.acl).allowManager as unknown as HostAllowances;
  if (allowedToAnySignedInUser(allowances, resourceName, actionName) && !keyMayCall(resourceName, actionName)) {
    throwKeywardError(ctx, refusals.accountActionRefused());
  }
  if (accountWrite(ctx)) {
    throwKeywardError(ctx, refusals.accountActionRefused());
  }
  await next();
}
