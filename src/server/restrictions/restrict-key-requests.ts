import type { Context, Next } from '@nocobase/actions';
import { refusals, throwKeywardError } from '../errors';
import { isAccountCollection } from './account-collections';
import { isReadAction } from './read-actions';
import { keyMayCall } from './signed-in-actions';
import { ruleMatches } from './snippet-rules';

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

interface HostSnippets {
  snippetManager: { snippets: Map<string, { name: string; actions: string[] }> };
}

/**
 * Whether the action belongs to one of the host's configuration permissions (ACL snippets:
 * plugins, collections and fields, users, roles and permissions, interface, workflows, SQL,
 * backups, settings). Key management has its own guard and code.
 */
function configurationAction(acl: HostSnippets, path: string, ownSnippet: string): boolean {
  const patterns = [...acl.snippetManager.snippets.values()]
    .filter((snippet) => snippet.name !== ownSnippet)
    .flatMap((snippet) => snippet.actions);
  return patterns.some((pattern) => ruleMatches(pattern.includes(':') ? pattern : `${pattern}:*`, path));
}

/** Ids as the database reads them: anything but a plain positive integer could be the owner's. */
const CANONICAL_ID = /^[1-9]\d{0,15}$/;
const mentions = (value: unknown, id: string): boolean =>
  [value].flat(2).some((item) => item !== undefined && (!CANONICAL_ID.test(String(item)) || String(item) === id));

/**
 * Whether a write may land on the owner's own user row: `users` itself (by id, or by a filter
 * that could match it), the owner's associations (`users/<owner>/roles`), or an association
 * that adds, sets or removes the owner (`roles/<name>/users`).
 */
function writesOwner(ctx: Context, source: string, association: string | undefined, ownerId: string): boolean {
  const { filterByTk, values } = ctx.action.params;
  if (source === 'users') {
    return association ? mentions(ctx.action.sourceId, ownerId) : filterByTk === undefined || mentions(filterByTk, ownerId);
  }
  if (filterByTk === undefined) {
    return values === undefined || mentions(values, ownerId);
  }
  return mentions(filterByTk, ownerId) || mentions(values, ownerId);
}

/**
 * A write to an account collection or to the owner. Main data source only: another source may
 * have a `users` table of its own.
 */
function accountWrite(ctx: Context): boolean {
  const { resourceName, actionName } = ctx.action;
  if (isReadAction(actionName)) {
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
 * Runs on every data source right after auth, for requests made with a key only. A key works
 * on data within its role:
 * - an action the host allows to any signed-in user is called only if the signed-in action
 *   table says a key may (deny by default);
 * - an action of the host's configuration permissions is only read, never run to change
 *   anything, whatever the role (raw SQL, plugins, users and roles, workflows, …);
 * - a write never reaches an account collection, nor the owner's own user row.
 */
export function restrictKeyRequests(ownSnippet: string) {
  // Snippets are registered while plugins load; a write's answer is kept per action.
  const configuration = new Map<string, boolean>();
  const isConfiguration = (ctx: Context, path: string) => {
    if (!configuration.has(path)) {
      if (configuration.size > 10_000) {
        configuration.clear();
      }
      configuration.set(path, configurationAction(ctx.app.acl as unknown as HostSnippets, path, ownSnippet));
    }
    return configuration.get(path) === true;
  };
  return async function restrictKeyRequests(ctx: Context, next: Next) {
    if (!ctx.state.apiKey) {
      return next();
    }
    const { resourceName, actionName } = ctx.action;
    const main = !ctx.dataSource || ctx.dataSource.name === 'main';
    const acl = ctx.dataSource?.acl ?? ctx.app.acl;
    if (allowedToAnySignedInUser(acl.allowManager as unknown as HostAllowances, resourceName, actionName)) {
      if (!keyMayCall(resourceName, actionName)) {
        throwKeywardError(ctx, refusals.accountActionRefused());
      }
    } else if (main && !isReadAction(actionName) && isConfiguration(ctx, `${resourceName}:${actionName}`)) {
      throwKeywardError(ctx, refusals.configurationRefused());
    }
    if (main && accountWrite(ctx)) {
      throwKeywardError(ctx, refusals.accountActionRefused());
    }
    await next();
  };
}
