import type { ACL } from '@nocobase/acl';
import type { Context, Next } from '@nocobase/actions';
import { refusals, throwKeywardError } from '../errors';

const ATTACHMENTS = 'attachments';
const UPLOADS = '/storage/uploads/';

type Row = { get(name: string): unknown };

/** The row of a file collection with this id that the key's role may view, within its scope. */
async function viewable(ctx: Context, acl: ACL, collection: string, id: unknown, repository = ctx.db.getRepository(collection)) {
  const roles: string[] = ctx.state.currentRoles ?? [];
  if (!acl.can({ roles, resource: collection, action: 'view' })) {
    return undefined;
  }
  const { mergedParams } = await acl.resolveActionParams(ctx, { resourceName: collection, actionName: 'view', params: { filter: { id } } });
  return ((await repository.findOne({ filter: mergedParams?.filter ?? { id }, fields: ['id'] })) ?? undefined) as Row | undefined;
}

/**
 * `getFile`, which the file manager lets past the ACL and, for `attachments`, serves any
 * signed-in user by id whatever the role: a key gets an attachment only where its role may
 * view it, with the role's own scope (the rule the file manager applies to every other file
 * collection). One file by its id: the file manager then serves the row found here, not
 * whatever else a filter (`filterByTk[$ne]=0`) would match.
 */
async function guardGetFile(ctx: Context, acl: ACL, next: Next) {
  // The collection the file manager serves, as it finds it (an association path included).
  const collection = ctx.dataSource?.collectionManager?.getCollection(ctx.action.resourceName);
  if (collection?.name !== ATTACHMENTS) {
    return next();
  }
  const id = ctx.state.fileAccess?.id ?? ctx.action.params.filterByTk;
  // One value, not a filter; the row found is pinned below, whatever spelling found it.
  if ((typeof id !== 'string' && typeof id !== 'number') || id === '') {
    throwKeywardError(ctx, refusals.badInput('getFile takes one file id as filterByTk.'));
  }
  if (!acl.can({ roles: ctx.state.currentRoles ?? [], resource: ATTACHMENTS, action: 'view' })) {
    return ctx.throw(403, 'No permissions');
  }
  const file = await viewable(ctx, acl, ATTACHMENTS, id, ctx.getCurrentRepository());
  if (!file) {
    return ctx.throw(404);
  }
  ctx.action.params.filterByTk = file.get('id');
  if (ctx.state.fileAccess) {
    ctx.state.fileAccess.id = file.get('id');
  }
  await next();
}

/**
 * Local storage's `/storage/uploads/<path>`: the host asks `auth:checkLegacyFileAccess`, which
 * lets any signed-in user have any file on disk. A key gets a file only when a row of a file
 * collection names it and its role may view that row; a file no row names (or the bare check,
 * which a proxy in front asks about a path the app never sees) is not a key's.
 */
async function guardUploads(ctx: Context, acl: ACL, next: Next) {
  let path: string;
  try {
    path = decodeURIComponent(new URL(ctx.originalUrl, 'http://app').pathname);
  } catch {
    return ctx.throw(404);
  }
  const at = path.indexOf(UPLOADS);
  const relative = at === -1 ? '' : path.slice(at + UPLOADS.length);
  const filename = relative.split('/').pop();
  if (!filename) {
    return ctx.throw(403, 'No permissions');
  }
  for (const collection of ctx.db.collections.values()) {
    if (collection.name !== ATTACHMENTS && collection.options.template !== 'file') {
      continue;
    }
    const rows: Row[] = await ctx.db.getRepository(collection.name).find({ filter: { filename }, fields: ['id', 'path'] });
    for (const row of rows) {
      const folder = String(row.get('path') ?? '').replace(/^\/+|\/+$/g, '');
      if (relative.endsWith(folder ? `${folder}/${filename}` : filename) && (await viewable(ctx, acl, collection.name, row.get('id')))) {
        return next();
      }
    }
  }
  return ctx.throw(404);
}

/**
 * ACL hook, on every data source (the file manager serves a collection named `attachments` on
 * each): the file actions the host lets any signed-in user past the role, for a key, only as
 * far as its role may view the file's row.
 */
export function guardKeyFileAccess(acl: ACL) {
  return async function guardKeyFileAccess(ctx: Context, next: Next) {
    if (!ctx.state.apiKey) {
      return next();
    }
    const { resourceName, actionName } = ctx.action;
    if (actionName === 'getFile') {
      return guardGetFile(ctx, acl, next);
    }
    if (resourceName === 'auth' && actionName === 'checkLegacyFileAccess') {
      return guardUploads(ctx, acl, next);
    }
    return next();
  };
}
