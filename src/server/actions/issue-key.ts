import type Database from '@nocobase/database';
import { UniqueConstraintError } from '@nocobase/database';
import { COLLECTION, NAME_MAX_LENGTH } from '../../constants';
import { refusals } from '../errors';
import { KEY_WRITE } from '../persistence/key-row-guard';
import { generateKey, hashKey, keyHint } from '../verification/key-format';
import { requestedExpiry } from './expiry';
import { parseAllowedIps } from '../restrictions/allowed-ips';
import { parseRateLimit } from '../restrictions/rate-limit';

type Values = Record<string, unknown>;
type Id = number | string;
type Model = { get(name: string): any; toJSON(): Record<string, any> };

export function parseName(name: unknown): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (!trimmed) {
    throw refusals.badInput('Name is required.');
  }
  if (trimmed.length > NAME_MAX_LENGTH) {
    throw refusals.badInput('Name must be at most {{max}} characters.', { max: NAME_MAX_LENGTH });
  }
  // A name is one line of text, shown as written. PostgreSQL cannot store a NUL (Sequelize
  // writes the two characters `\0` in its place) and SQLite fails on one; line and paragraph
  // separators break a line, and bidi controls show the name reversed.
  if (/[\p{Cc}\p{Zl}\p{Zp}\u202a-\u202e\u2066-\u2069]/u.test(trimmed)) {
    throw refusals.badInput('Name must not contain control characters.');
  }
  // Half of a surrogate pair is stored as U+FFFD: the name would not be the one sent.
  if (/\p{Cs}/u.test(trimmed)) {
    throw refusals.badInput('Name must be well-formed text (no half of a surrogate pair).');
  }
  return trimmed;
}

/**
 * `{ role: { name } }` as the built-in plugin sends it, or `roleName`; undefined when neither is
 * given. A role given in any other shape, or with a control character (no role has one, and
 * SQLite fails on a NUL in a query), names no role: ''.
 */
export function parseRoleName(values: Values): string | undefined {
  const [name, other] = [values.role, values.roleName].filter((role) => role !== undefined && role !== null).map(roleNameOf);
  if (other !== undefined && other !== name) {
    throw refusals.badInput('role and roleName name different roles.');
  }
  return name;
}

/** A role as given, `{ name }` or its name: the name, or '' for any other shape or a control character. */
function roleNameOf(role: unknown): string {
  const name = typeof role === 'object' ? (role as { name?: unknown }).name : role;
  return typeof name === 'string' && !/\p{Cc}/u.test(name) ? name : '';
}

export async function assertNameFree(db: Database, ownerId: Id, name: string, exceptId?: string) {
  const clash = await db.getRepository(COLLECTION).count({
    filter: { createdById: ownerId, name, ...(exceptId ? { id: { $ne: exceptId } } : {}) },
  });
  if (clash) {
    throw refusals.badInput(NAME_TAKEN_MESSAGE);
  }
}

const NAME_TAKEN_MESSAGE = 'You already have an API key with this name.';

/** The unique index on (owner, name) settles the race two concurrent creates or renames run. */
export async function nameClashAsBadInput<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof UniqueConstraintError) {
      throw refusals.badInput(NAME_TAKEN_MESSAGE);
    }
    throw error;
  }
}

export interface Restrictions {
  allowedIps: string[];
  rateLimit: { limit: number; windowSeconds: number } | null;
  readOnly: boolean;
}

/** The restriction fields the values name, checked; the others from `defaults` (when given). */
export function parseRestrictions(values: Values, defaults?: Restrictions): Partial<Restrictions> {
  const parsed: Partial<Restrictions> = { ...defaults };
  if (values.allowedIps !== undefined) {
    parsed.allowedIps = parseAllowedIps(values.allowedIps);
  }
  if (values.rateLimit !== undefined) {
    parsed.rateLimit = parseRateLimit(values.rateLimit);
  }
  if (values.readOnly !== undefined) {
    if (typeof values.readOnly !== 'boolean') {
      throw refusals.badInput('readOnly must be true or false.');
    }
    parsed.readOnly = values.readOnly;
  }
  return parsed;
}

/** `enabled` as sent: true or false, or undefined when not sent. */
export function parseEnabled(value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') {
    throw refusals.badInput('enabled must be true or false.');
  }
  return value;
}

/**
 * Makes a key for one of the owner's roles, as `apiKeys:create` and the `generate-api-key`
 * command ask: the same checks, the same refusals. Returns the one copy of the key there is.
 */
export async function issueKey(db: Database, ownerId: Id, values: Values, context?: unknown) {
  const name = parseName(values.name);
  const roleName = parseRoleName(values);
  const role: Model | null = roleName ? await db.getRepository<any>('users.roles', ownerId).findOne({ filterByTk: roleName }) : null;
  if (!role) {
    throw refusals.roleNotFound();
  }
  const expiresAt = requestedExpiry(values);
  if (expiresAt === undefined) {
    throw refusals.badExpiresIn();
  }
  const restrictions = parseRestrictions(values, { allowedIps: [], rateLimit: null, readOnly: false });
  const enabled = parseEnabled(values.enabled) ?? true;
  await assertNameFree(db, ownerId, name);
  const token = generateKey();
  const key: Model = await nameClashAsBadInput(() =>
    db.getRepository(COLLECTION).create({
      values: {
        name,
        roleName: role.get('name'),
        hash: hashKey(token),
        hint: keyHint(token),
        expiresAt,
        enabled,
        ...restrictions,
      },
      // The collection's createdBy field takes the owner from the request; a command has none.
      context: context ?? { state: { currentUser: { id: ownerId } } },
      ...{ [KEY_WRITE]: true },
    }),
  );
  return { key, role, token };
}
