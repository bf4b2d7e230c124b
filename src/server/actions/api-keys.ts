import type { Context, Next } from '@nocobase/actions';
import { COLLECTION } from '../../constants';
import { KeywardError, refusals, throwKeywardError } from '../errors';
import { requestedExpiry } from './expiry';
import { assertNameFree, issueKey, nameClashAsBadInput, parseEnabled, parseName, parseRestrictions, parseRoleName } from './issue-key';
import { KEY_WRITE } from '../persistence/key-row-guard';
import { isObject } from '../is-object';
import { isRecordId } from '../record-id';
import { FILTER_BY_TK_MESSAGE, parseListQuery, withLiteralBackslashes } from '../restrictions/list-query';

type Values = Record<string, unknown>;
type Model = { get(name: string): any; toJSON(): Record<string, any> };

function ownerId(ctx: Context) {
  return ctx.state.currentUser.id;
}

/** Every action answers bad input with a 4xx and a code, never with a 500. */
export function handle(action: (ctx: Context) => Promise<void>) {
  return async (ctx: Context, next: Next) => {
    try {
      await action(ctx);
    } catch (error) {
      if (error instanceof KeywardError) {
        throwKeywardError(ctx, error);
      }
      throw error;
    }
    await next();
  };
}

export function parseIds(filterByTk: unknown): string[] {
  const ids = [filterByTk].flat().map(String);
  if (filterByTk === undefined || filterByTk === null || !ids.length || !ids.every(isRecordId)) {
    throw refusals.badInput(FILTER_BY_TK_MESSAGE);
  }
  return ids;
}

const FILTER_FIT_MESSAGE = 'filter does not fit the columns it names.';

export async function findOwnKey(ctx: Context, id: string) {
  const key = await ctx.db.getRepository(COLLECTION).findOne({
    filterByTk: id,
    filter: { createdById: ownerId(ctx) },
    appends: ['role'],
  });
  if (!key) {
    throw refusals.notFound();
  }
  return key;
}

/** A key as our actions answer it: its columns (never the hash) and its role's name and title. */
function present(key: Model, role: Model | null = key.get('role')) {
  const { role: _role, ...columns } = key.toJSON();
  // Keys made before restrictions existed, or imported, keep no list: any address.
  const allowedIps = 'allowedIps' in columns ? { allowedIps: columns.allowedIps ?? [] } : {};
  return { ...columns, ...allowedIps, role: role ? { name: role.get('name'), title: role.get('title') } : null };
}

export const list = handle(async (ctx) => {
  const { filter: asked, sort, fields, page, pageSize } = parseListQuery(ctx.action.params);
  // The same keys whatever the database: a backslash in a text filter is a backslash.
  const filter = asked && !ctx.db.inDialect('sqlite') ? withLiteralBackslashes(asked) : asked;
  const own = { createdById: ownerId(ctx) };
  const [rows, count] = await ctx.db
    .getRepository(COLLECTION)
    .findAndCount({
      filter: filter ? { $and: [filter, own] } : own,
      fields,
      sort,
      appends: ['role'],
      limit: pageSize,
      offset: (page - 1) * pageSize,
    })
    .catch((error: Error) => {
      // The filter names only our columns with values of their types; what a dialect still
      // refuses (an out-of-range date, say) is the caller's input, not a server fault.
      if (error.name?.startsWith('Sequelize')) {
        throw refusals.badInput(FILTER_FIT_MESSAGE);
      }
      throw error;
    });
  ctx.body = { rows: rows.map((row: Model) => present(row)), count, page, pageSize, totalPage: Math.ceil(count / pageSize) };
});

export const get = handle(async (ctx) => {
  const [id] = parseIds(ctx.action.params.filterByTk);
  ctx.body = present(await findOwnKey(ctx, id));
});

/** The body of create and update: one key's values, as an object (a list would be ignored). */
/**
 * What a create or update may set. Anything else is refused rather than ignored: a mistyped
 * restriction (`readonly`, `allowedIPs`) would otherwise leave a key without it. `createdById`
 * is taken on update only as the caller's own id (see update).
 */
const WRITABLE = new Set(['name', 'role', 'roleName', 'expiresIn', 'expiresAt', 'enabled', 'allowedIps', 'rateLimit', 'readOnly', 'createdById']);

function bodyValues(ctx: Context): Values {
  const values = ctx.action.params.values ?? {};
  if (!isObject(values)) {
    throw refusals.badInput('The request body must be a JSON object.');
  }
  const unknown = Object.keys(values).find((name) => !WRITABLE.has(name));
  if (unknown !== undefined) {
    throw refusals.badInput('An API key has no field {{name}} to set; it takes name, role, expiresIn or expiresAt, enabled, allowedIps, rateLimit and readOnly.', {
      name: unknown.slice(0, 100),
    });
  }
  return values;
}

export const create = handle(async (ctx) => {
  const { key, role, token } = await issueKey(ctx.db, ownerId(ctx), bodyValues(ctx), ctx);
  // The only time the key itself leaves the server.
  ctx.body = { ...present(key, role), token };
});

export const update = handle(async (ctx) => {
  const [id] = parseIds(ctx.action.params.filterByTk);
  const values = bodyValues(ctx);
  const key = await findOwnKey(ctx, id);
  const roleName = parseRoleName(values);
  const ownerChange = values.createdById !== undefined && String(values.createdById) !== String(ownerId(ctx));
  if ((roleName !== undefined && roleName !== key.get('roleName')) || ownerChange) {
    throw refusals.badInput('The role and owner of an API key cannot be changed; create a new key instead.');
  }
  const changes: Values = { ...parseRestrictions(values) };
  if (values.name !== undefined) {
    changes.name = parseName(values.name);
    await assertNameFree(ctx.db, ownerId(ctx), changes.name as string, id);
  }
  const enabled = parseEnabled(values.enabled);
  if (enabled !== undefined) {
    changes.enabled = enabled;
  }
  const expiresAt = requestedExpiry(values);
  if (expiresAt !== undefined) {
    const current: Date | null = key.get('expiresAt');
    if (current && (expiresAt === null || expiresAt.getTime() > new Date(current).getTime())) {
      throw refusals.badInput('An expiry can only be brought forward; create a new key for a longer one.');
    }
    changes.expiresAt = expiresAt;
  }
  if (Object.keys(changes).length) {
    await nameClashAsBadInput(() => key.update(changes, { ...{ [KEY_WRITE]: true } }));
  }
  ctx.body = present(key);
});

export const destroy = handle(async (ctx) => {
  const ids = parseIds(ctx.action.params.filterByTk);
  const repository = ctx.db.getRepository(COLLECTION);
  // All or nothing: an id that is not the caller's deletes nothing and says so.
  const own = await repository.count({ filter: { id: { $in: ids }, createdById: ownerId(ctx) } });
  if (own !== new Set(ids).size) {
    throw refusals.notFound();
  }
  ctx.body = await repository.destroy({ filterByTk: ids, individualHooks: true } as any);
});
