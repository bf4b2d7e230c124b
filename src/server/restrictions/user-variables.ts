import type { Context, Next } from '@nocobase/actions';
import { throwKeywardError } from '../errors';
import { sentFilters } from '../query-paths';
import { badUserVariable } from './filter-operators';
import { isFieldPath } from './secret-reads';

/**
 * On every data source, for every request (a session's as much as a key's), ahead of the host's
 * variable step: a filter's `{{$user.…}}` names fields only (see {@link badUserVariable}). The
 * secret it would otherwise print signs every session, so any signed-in user could become any
 * other, the administrator included, and make keys as them.
 */
export async function guardUserVariables(ctx: Context, next: Next) {
  if (ctx.action) {
    const refusal = badUserVariable(sentFilters(ctx), (path) => isFieldPath(ctx, 'users', path));
    if (refusal) {
      throwKeywardError(ctx, refusal);
    }
  }
  await next();
}
