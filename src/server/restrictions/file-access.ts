import type { ACL } from '@nocobase/acl';
import type { Context, Next } from '@nocobase/actions';
import { refusals, throwKeywardError } from '../errors';

const ATTACHMENTS = 'attachments';

/**
 * ACL hook for `getFile`, which the file manager lets past the ACL and, for `attachments`,
 * serves any signed-in user by id whatever the role. A request made with a key gets an
 * attachment only where its role may view it, with the role's own scope: the rule the file
 * manager applies to every other file collection. One file by its id: the file manager then
 * serves the row found here, not whatever else a filter (`filterByTk[$ne]=0`) would match.
 * On every data source: the file manager serves a collection named `attachments` on each.
 */
export function guardKeyFileAccess(acl: ACL) {
  return async function guardKeyFileAccess(ctx: Context, next: Next) {
    if (!ctx.state.apiKey || ctx.action.actionName !== 'getFile') {
      return next();
    }
    // The collection the file manager serves, as it finds it (an association path included).
    const collection = ctx.dataSource?.collectionManager?.getCollection(ctx.action.resourceName);
    if (collection?.name !== ATTACHMENTS) {
      return next();
    }
    const roles: string[] = ctx.state.currentRoles ?? [];
    if (!acl.can({ roles, resource: ATTACHMENTS, action: 'view' })) {
      return ctx.throw(403, 'No permissions');
    }
    const id = ctx.state.fileAccess?.id ?? ctx.action.params.filterByTk;
    // One value, not a filter; the row found is pinned below, whatever spelling found it.
    if ((typeof id !== 'string' && typeof id !== 'number') || id === '') {
      throwKeywardError(ctx, refusals.badInput('getFile takes one file id as filterByTk.'));
    }
    const { mergedParams } = await acl.resolveActionParams(ctx, {
      resourceName: ATTACHMENTS,
      actionName: 'view',
      params: { filter: { id } },
    });
    const file = await ctx.getCurrentRepository().findOne({ filter: mergedParams?.filter ?? { id }, fields: ['id'] });
    if (!file) {
      return ctx.throw(404);
    }
    ctx.action.params.filterByTk = file.get('id');
    if (ctx.state.fileAccess) {
      ctx.state.fileAccess.id = file.get('id');
    }
    await next();
  };
}
