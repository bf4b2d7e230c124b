import type { Context, Next } from '@nocobase/actions';
import type Database from '@nocobase/database';
import { refusals, throwKeywardError } from '../errors';
import { sentFilters, TEMPLATE } from '../query-paths';
import { badUserVariable } from './filter-operators';
import { isColumnPath } from './secret-reads';

/**
 * On every data source, for every request (a session's as much as a key's), ahead of the host's
 * variable step: a filter names only the variables of {@link badUserVariable}. The secret the
 * host would otherwise print signs every session, so any signed-in user could become any other,
 * the administrator included, and make keys as them.
 */
export async function guardUserVariables(ctx: Context, next: Next) {
  // A key's filters are checked after auth, with codes of their own (restrict-key-requests.ts).
  if (ctx.action && !ctx.state.apiKey) {
    const refusal = badUserVariable(sentFilters(ctx), (path) => isColumnPath(ctx, 'users', path));
    if (refusal) {
      throwKeywardError(ctx, refusal);
    }
  }
  await next();
}

/**
 * No user's field holds a whole variable. A role's data scope may compare with the user's own
 * fields (`{{$user.nickname}}`), which a user changes at will; the chart plugin then fills the
 * scope in and reads the result for variables once more, so a nickname of
 * `{{$user.constructor…}}` would be followed into the app and printed.
 */
export function refuseVariablesInUsers(db: Database) {
  db.on('users.beforeSave', (user: { changed(): string[] | false; get(name: string): unknown }) => {
    for (const name of user.changed() || []) {
      const value = user.get(name);
      if (typeof value === 'string' && TEMPLATE.test(value)) {
        throw refusals.badInput("A user's {{field}} cannot be a whole variable.", { field: name });
      }
    }
  });
}
