import type { ACL } from '@nocobase/acl';
import type { Context, Next } from '@nocobase/actions';
import { refusals, throwKeywardError } from '../errors';

const ATTACHMENTS = 'attachments';
const UPLOADS = '/storage/uploads/';

type Row = { get(name: string): unknown };

/** Whether the key's role may view the collection at all. */
const mayView = (ctx: Context, acl: ACL, collection: string) =>
  Boolean(acl.can({ roles: ctx.state.currentRoles ?? [], resource: collection, action: 'view' }));

/** The row with this id, if the key's role may view it within its scope (the role's filter merged in). */
async function findViewable(ctx: Context, acl: ACL, collection: string, id: unknown, repository = ctx.db.getRepository(collection)) {
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
  if (!mayView(ctx, acl, ATTACHMENTS)) {
    return ctx.throw(403, 'No permissions');
  }
  const file = await findViewable(ctx, acl, ATTACHMENTS, id, ctx.getCurrentRepository());
  if (!file) {
    return ctx.throw(404);
  }
  ctx.action.params.filterByTk = file.get('id');
  if (ctx.state.fileAccess) {
    ctx.state.fileAccess.id = file.get('id');
  }
  await next();
}

/** The file's path under local storage's uploads, as the host serves it; undefined for any other shape. */
function uploadPath(ctx: Context): string | undefined {
  // As sent: a URL parser would resolve `x/../` before the checks below see it.
  const raw = ctx.originalUrl.split(/[?#]/)[0];
  const at = raw.indexOf(UPLOADS);
  // An escaped slash or backslash would name another folder once the host decodes it.
  if (at === -1 || /%2f|%5c|\\/i.test(raw)) {
    return undefined;
  }
  try {
    const parts = raw.slice(at + UPLOADS.length).split('/').map(decodeURIComponent);
    return parts.every((part) => part !== '' && part !== '.' && part !== '..') ? parts.join('/') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Local storage's `/storage/uploads/<path>`: the host asks `auth:checkLegacyFileAccess`, which
 * lets any signed-in user have any file under the storage folder. A key gets a file only when
 * rows of file collections name exactly that path and its role may view every one of them (a
 * row a key adds naming someone else's file does not make it the key's); a file no row names,
 * a path that leaves its folder, and the bare check (which a proxy in front asks about a path
 * the app never sees) are not a key's.
 */
async function guardUploads(ctx: Context, acl: ACL, next: Next) {
  const path = uploadPath(ctx);
  const filename = path?.split('/').pop();
  if (!path || !filename) {
    return ctx.throw(404);
  }
  let named = 0;
  for (const collection of ctx.db.collections.values()) {
    if (collection.name !== ATTACHMENTS && collection.options.template !== 'file') {
      continue;
    }
    const rows: Row[] = await ctx.db.getRepository(collection.name).find({ filter: { filename }, fields: ['id', 'path'] });
    for (const row of rows) {
      const folder = String(row.get('path') ?? '').replace(/^\/+|\/+$/g, '');
      if (path !== (folder ? `${folder}/${filename}` : filename)) {
        continue;
      }
      named++;
      if (!mayView(ctx, acl, collection.name) || !(await findViewable(ctx, acl, collection.name, row.get('id')))) {
        return ctx.throw(404);
      }
    }
  }
  return named ? next() : ctx.throw(404);
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
