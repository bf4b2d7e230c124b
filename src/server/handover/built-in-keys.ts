import type Database from '@nocobase/database';
import { COLLECTION, NAME_MAX_LENGTH } from '../../constants';
import { HASH_LOOKUP } from '../persistence/hash-column-guard';
import { hashKey, importedKeyHint } from '../verification/key-format';
import { readBuiltInRows, withBuiltInTable, type BuiltInRow } from './built-in-table';

/** What the host's JWT service offers that the handover needs (`app.authManager.jwt`). */
export interface TokenService {
  decode(token: string): Promise<{ userId?: number | string; roleName?: string; exp?: number; iat?: number }>;
  block(token: string): Promise<unknown>;
  blacklist?: { has(token: string): Promise<boolean> };
}

export interface ImportReport {
  /** Rows found in the built-in's table. */
  found: number;
  /** Newly imported by this run. */
  imported: number;
  /** Already imported by an earlier run. */
  kept: number;
  /** Expired, revoked, forged or orphaned: nothing that works today, so nothing to carry over. */
  skipped: number;
}

// The built-in signs "never" as 1000 years; anything past a century means the same.
const NEVER_AFTER_SECONDS = 100 * 365 * 24 * 3600;

async function findImported(db: Database, hash: string) {
  return db.getModel(COLLECTION).findOne({ ...{ [HASH_LOOKUP]: true }, where: { hash, imported: true } });
}

/** The token's claims when it still works as the built-in made it: signed by this app, live, not blocked. */
async function liveClaims(tokens: TokenService, token: string) {
  try {
    const claims = await tokens.decode(token);
    if (await tokens.blacklist?.has(token)) {
      return undefined;
    }
    return claims;
  } catch {
    return undefined;
  }
}

/** The built-in lets one owner give several keys one name; ours are unique per owner. */
async function freeName(db: Database, ownerId: number | string, wanted: string | null) {
  const base = (wanted ?? '').trim().slice(0, NAME_MAX_LENGTH - 5) || 'Imported key';
  const repository = db.getRepository(COLLECTION);
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base} (${n})`;
    if (!(await repository.count({ filter: { createdById: ownerId, name } }))) {
      return name;
    }
  }
}

type Outcome = 'imported' | 'kept' | 'skipped';

async function importRow(db: Database, tokens: TokenService, row: BuiltInRow): Promise<Outcome> {
  const { token } = row;
  if (!token) {
    return 'skipped';
  }
  const hash = hashKey(token);
  if (await findImported(db, hash)) {
    // Imported before; blocking again covers a run that stopped between the two steps.
    await tokens.block(token);
    return 'kept';
  }
  const claims = await liveClaims(tokens, token);
  const ownerId = claims?.userId;
  const owner = ownerId ? await db.getRepository('users').findOne({ filterByTk: ownerId }) : null;
  if (!claims?.roleName || !owner) {
    return 'skipped';
  }
  const { exp, iat = Math.floor(Date.now() / 1000) } = claims;
  await db.getRepository(COLLECTION).create({
    values: {
      name: await freeName(db, ownerId!, row.name),
      roleName: claims.roleName,
      hash,
      hint: importedKeyHint(token),
      expiresAt: exp && exp - iat < NEVER_AFTER_SECONDS ? new Date(exp * 1000) : null,
      enabled: true,
      imported: true,
    },
    context: { state: { currentUser: { id: ownerId } } },
  });
  // From now on only Keyward decides about this token: the host's own basic authenticator,
  // which accepts any live JWT signed with APP_KEY, refuses it.
  await tokens.block(token);
  return 'imported';
}

/**
 * Carries the built-in plugin's keys over: each live token becomes a Keyward key stored as the
 * SHA-256 of the token, so scripts keep the token they hold. The built-in's table is left as
 * it is; running again imports only what is new. (Each node learns the new keys' hashes from
 * the cache invalidation's create hook.)
 */
export async function importBuiltInKeys(db: Database, tokens: TokenService) {
  const report: ImportReport = { found: 0, imported: 0, kept: 0, skipped: 0 };
  for (const row of await readBuiltInRows(db)) {
    report.found++;
    report[await importRow(db, tokens, row)]++;
  }
  return report;
}

/** Rows of the built-in's table whose token Keyward holds as an imported key. */
async function importedCopies(db: Database) {
  const rows = await readBuiltInRows(db);
  const copies: { row: BuiltInRow; key: any }[] = [];
  for (const row of rows) {
    const key = row.token ? await findImported(db, hashKey(row.token)) : null;
    if (key) {
      copies.push({ row, key });
    }
  }
  return copies;
}

export async function countPlaintextCopies(db: Database) {
  return (await importedCopies(db)).length;
}

/** Deletes the built-in's rows of imported keys: the last plain-text copies of those tokens. */
export async function erasePlaintextCopies(db: Database) {
  const ids = (await importedCopies(db)).map(({ row }) => row.id);
  if (ids.length) {
    await withBuiltInTable(db, (table) => table.destroy({ where: { id: ids } }));
  }
  return ids.length;
}

/**
 * When Keyward is disabled: each imported key still live here, whose token the built-in's table
 * still holds, goes back to the built-in (unblocked for the host, deleted here), so the built-in
 * finds its keys working as before. Keys revoked here stay blocked; a key whose plain-text copy
 * was erased cannot go back and stays blocked too.
 */
export async function handBackBuiltInKeys(db: Database) {
  const blacklist = db.getCollection('tokenBlacklist') ? db.getRepository('tokenBlacklist') : undefined;
  let handedBack = 0;
  for (const { row, key } of await importedCopies(db)) {
    const expiresAt: Date | null = key.get('expiresAt');
    if (!key.get('enabled') || (expiresAt && new Date(expiresAt).getTime() <= Date.now())) {
      continue;
    }
    await blacklist?.destroy({ filter: { token: row.token } });
    await key.destroy();
    handedBack++;
  }
  return handedBack;
}
