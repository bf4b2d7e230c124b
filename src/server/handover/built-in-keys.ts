import type Database from '@nocobase/database';
import { COLLECTION, NAME_MAX_LENGTH } from '../../constants';
import { HASH_LOOKUP } from '../persistence/hash-column-guard';
import { KEY_WRITE } from '../persistence/key-row-guard';
import { hashKey, importedKeyHint } from '../verification/key-format';
import { readBuiltInRows, withBuiltInTable, type BuiltInRow } from './built-in-table';

type Claims = { userId?: number | string; roleName?: string; exp?: number; iat?: number };

/** What the host's JWT service offers that the handover needs (`app.authManager.jwt`). */
export interface TokenService {
  decode(token: string): Promise<Claims>;
  blacklist?: { has(token: string): Promise<boolean>; add(values: { token: string; expiration: Date }): Promise<unknown> };
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
  /** Live keys that could not be imported: blocked, so none is left working unmanaged. */
  failed: number;
}

// The built-in signs "never" as 1000 years; anything past a century means the same.
const NEVER_AFTER_SECONDS = 100 * 365 * 24 * 3600;
// A blacklist row must outlive the token, yet stay a date every database stores and compares
// as one: a year past 9999 is text in SQLite (sorting before "2026") and invalid in PostgreSQL.
const LAST_STORABLE_DATE = Date.UTC(9999, 11, 31);

async function findImported(db: Database, hash: string) {
  return db.getModel(COLLECTION).findOne({ ...{ [HASH_LOOKUP]: true }, where: { hash, imported: true } });
}

/**
 * Takes the token away from the host's own authenticators (basic auth, the websocket sign-in,
 * file cookies), so only Keyward decides about it, whatever way it is sent.
 */
async function block(tokens: TokenService, token: string, claims?: Claims) {
  const exp = claims?.exp ? claims.exp * 1000 : LAST_STORABLE_DATE;
  await tokens.blacklist?.add({ token, expiration: new Date(Math.min(exp, LAST_STORABLE_DATE)) });
}

/** The token's claims when it still works as the built-in made it: signed by this app, live, not blocked. */
async function liveClaims(tokens: TokenService, token: string): Promise<Claims | undefined> {
  try {
    const claims = await tokens.decode(token);
    return (await tokens.blacklist?.has(token)) ? undefined : claims;
  } catch {
    return undefined;
  }
}

/** The built-in lets one owner give several keys one name; ours are unique per owner. */
class FreeNames {
  private readonly taken = new Map<string, Set<string>>();

  constructor(private readonly db: Database) {}

  async claim(ownerId: number | string, wanted: string | null) {
    const taken = await this.namesOf(ownerId);
    const base = (wanted ?? '').trim() || 'Imported key';
    for (let n = 1; ; n++) {
      const suffix = n === 1 ? '' : ` (${n})`;
      const name = base.slice(0, NAME_MAX_LENGTH - suffix.length) + suffix;
      if (!taken.has(name)) {
        taken.add(name);
        return name;
      }
    }
  }

  private async namesOf(ownerId: number | string) {
    const key = String(ownerId);
    if (!this.taken.has(key)) {
      const rows = await this.db.getRepository(COLLECTION).find({ filter: { createdById: ownerId }, fields: ['name'] });
      this.taken.set(key, new Set(rows.map((row: any) => row.get('name'))));
    }
    return this.taken.get(key)!;
  }
}

type Outcome = 'imported' | 'kept' | 'skipped';

async function importRow(db: Database, tokens: TokenService, names: FreeNames, token: string, row: BuiltInRow): Promise<Outcome> {
  if (await findImported(db, hashKey(token))) {
    // Imported before; blocking again covers a run that stopped between the two steps.
    await block(tokens, token, await tokens.decode(token).catch(() => undefined));
    return 'kept';
  }
  const claims = await liveClaims(tokens, token);
  if (!claims) {
    return 'skipped';
  }
  const ownerId = claims.userId;
  const owner = ownerId ? await db.getRepository('users').findOne({ filterByTk: ownerId }) : null;
  if (!claims.roleName || !owner) {
    // Signed and live, but for nobody: blocked all the same, in case the id is ever reused.
    await block(tokens, token, claims);
    return 'skipped';
  }
  const { exp, iat = Math.floor(Date.now() / 1000) } = claims;
  await db.getRepository(COLLECTION).create({
    values: {
      name: await names.claim(ownerId!, row.name),
      roleName: claims.roleName,
      hash: hashKey(token),
      hint: importedKeyHint(token),
      expiresAt: exp && exp - iat < NEVER_AFTER_SECONDS ? new Date(exp * 1000) : null,
      enabled: true,
      imported: true,
    },
    context: { state: { currentUser: { id: ownerId } } },
    ...{ [KEY_WRITE]: true },
  });
  await block(tokens, token, claims);
  return 'imported';
}

/**
 * Carries the built-in plugin's keys over: each live token becomes a Keyward key stored as the
 * SHA-256 of the token, so scripts keep the token they hold. The built-in's table is left as
 * it is; running again imports only what is new. A row that cannot be imported does not stop
 * the others; its token is blocked, so no key is left working where nobody can revoke it.
 * (Each node learns the new keys' hashes from the cache invalidation's create hook.)
 */
export async function importBuiltInKeys(db: Database, tokens: TokenService, onFailure: (row: BuiltInRow, error: unknown) => void) {
  const report: ImportReport = { found: 0, imported: 0, kept: 0, skipped: 0, failed: 0 };
  const names = new FreeNames(db);
  for (const row of await readBuiltInRows(db)) {
    report.found++;
    if (!row.token) {
      report.skipped++;
      continue;
    }
    try {
      report[await importRow(db, tokens, names, row.token, row)]++;
    } catch (error) {
      report.failed++;
      onFailure(row, error);
      await block(tokens, row.token).catch(() => undefined);
    }
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
 * When Keyward is disabled: each imported key that Keyward left exactly as the built-in made
 * it (enabled, expiry not brought forward, not expired), and whose token the built-in's table
 * still holds, goes back to the host: unblocked, and deleted here, so the built-in, enabled
 * again, finds its keys working. Any key an owner disabled or shortened here stays blocked.
 */
export async function handBackBuiltInKeys(db: Database, tokens: TokenService) {
  const blacklist = db.getCollection('tokenBlacklist') ? db.getRepository('tokenBlacklist') : undefined;
  const handedBack = new Set<string>();
  for (const { row, key } of await importedCopies(db)) {
    const claims = await tokens.decode(row.token!).catch(() => undefined);
    const expiresAt: Date | null = key.get('expiresAt');
    const tokenExpiresAt = claims?.exp && claims.exp - (claims.iat ?? 0) < NEVER_AFTER_SECONDS ? claims.exp * 1000 : null;
    const untouched = key.get('enabled') && (expiresAt ? new Date(expiresAt).getTime() : null) === tokenExpiresAt;
    if (!claims || !untouched || handedBack.has(row.token!)) {
      continue;
    }
    await blacklist?.destroy({ filter: { token: row.token } });
    await key.destroy();
    handedBack.add(row.token!);
  }
  return handedBack.size;
}
