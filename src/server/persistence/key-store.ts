import type Database from '@nocobase/database';
import { type AddressList, compileAllowedIps } from '../restrictions/allowed-ips';
import type { RateLimit } from '../restrictions/rate-limit';
import { COLLECTION } from '../../constants';
import { ExpiringMap } from '../verification/expiring-map';
import { hashKey, hexDigest } from '../verification/key-format';
import { HASH_LOOKUP } from './hash-column-guard';

/** What a request needs to know about a key, cached by the key's hash. */
export interface KeyRecord {
  id: number | string;
  roleName: string;
  /** Epoch ms, or null for a key that never expires. */
  expiresAt: number | null;
  enabled: boolean;
  /** The owner as the host keeps `ctx.state.currentUser`, or null once the user is gone. */
  user: Record<string, unknown> | null;
  ownerHasRole: boolean;
  /** Null when any address may use the key. */
  allowedIps: AddressList | null;
  rateLimit: RateLimit | null;
  readOnly: boolean;
}

export interface KeyStoreOptions {
  max?: number;
  /** A safety net only: every change that matters invalidates entries at once. */
  ttlMs?: number;
}

/**
 * Looks keys up by hash: from a bounded in-memory cache, else with one database query. The
 * cache is keyed by the hash in its short form (`keyDigest`), the database by its hex.
 */
export class KeyStore {
  private readonly cache: ExpiringMap<string, KeyRecord>;
  private readonly ttlMs: number;
  /** Bumped by every invalidation, so a lookup that raced one does not cache what it read. */
  private generation = 0;
  /** Lookups under way, by hash; dropped by every invalidation, so none is joined after it. */
  private readonly loading = new Map<string, Promise<KeyRecord | null>>();
  /**
   * Hashes of the keys imported from the built-in plugin. Those keys are JWTs, shaped like any
   * session token; only this set tells them apart. Never shrinks while the app runs: a deleted
   * imported key is still routed here, and refused, rather than left to the host's basic auth.
   */
  private imported = new Set<string>();

  constructor(
    private readonly db: Database,
    { max = 10_000, ttlMs = 10 * 60 * 1000 }: KeyStoreOptions = {},
  ) {
    this.cache = new ExpiringMap(max);
    this.ttlMs = ttlMs;
  }

  /** The cached record, by the key's digest, at once: the request path awaits nothing for a key it knows. */
  cached(digest: string, now = Date.now()): KeyRecord | undefined {
    return this.cache.get(digest, now);
  }

  /** The lookup of this hash under way, if any: requests for one key at once share one query. */
  pending(hash: string): Promise<KeyRecord | null> | undefined {
    return this.loading.get(hash);
  }

  find(hash: string): Promise<KeyRecord | null> {
    const digest = hexDigest(hash);
    const cached = this.cache.get(digest, Date.now());
    if (cached) {
      return Promise.resolve(cached);
    }
    const running = this.loading.get(hash);
    if (running) {
      return running;
    }
    const generation = this.generation;
    const lookup = this.load(hash).then((record) => {
      if (record && generation === this.generation) {
        const now = Date.now();
        this.cache.set(digest, record, now + this.ttlMs, now);
      }
      return record;
    });
    this.loading.set(hash, lookup);
    const done = () => {
      if (this.loading.get(hash) === lookup) {
        this.loading.delete(hash);
      }
    };
    lookup.then(done, done);
    return lookup;
  }

  /** Whether a token that is not a Keyward key is one of the keys imported from the built-in. */
  isImportedToken(token: string): boolean {
    return this.imported.size > 0 && this.imported.has(hashKey(token));
  }

  isImportedHash(hash: string): boolean {
    return this.imported.has(hash);
  }

  addImported(hash: string) {
    this.imported.add(hash);
  }

  async loadImported() {
    const rows = await this.db.getModel(COLLECTION).findAll({
      ...{ [HASH_LOOKUP]: true },
      where: { imported: true },
      attributes: ['hash'],
      raw: true,
    });
    rows.forEach((row: any) => this.imported.add(row.hash));
  }

  /** By id, not hash: the hash never leaves the lookup, not even in a cluster message. */
  invalidate(id: number | string) {
    this.generation++;
    this.loading.clear();
    const stale = [...this.cache].filter(([, record]) => String(record.id) === String(id));
    stale.forEach(([digest]) => this.cache.delete(digest));
  }

  clear() {
    this.generation++;
    this.loading.clear();
    this.cache.clear();
  }

  /** Key, owner and the owner's role names in a single query. */
  private async load(hash: string): Promise<KeyRecord | null> {
    const row = await this.db.getModel(COLLECTION).findOne({
      ...{ [HASH_LOOKUP]: true },
      where: { hash },
      attributes: ['id', 'roleName', 'expiresAt', 'enabled', 'allowedIps', 'rateLimit', 'readOnly'],
      include: [
        {
          association: 'createdBy',
          required: false,
          include: [{ association: 'roles', attributes: ['name'], through: { attributes: [] }, required: false }],
        },
      ],
    });
    if (!row) {
      return null;
    }
    const roleName: string = row.get('roleName');
    const owner = row.get('createdBy') as { toJSON(): Record<string, any> } | null;
    // toJSON, not get(): it leaves out hidden fields, so no password hash or reset token is
    // kept in the cache or handed on as the request's current user.
    const { roles = [], ...user } = owner ? owner.toJSON() : ({} as Record<string, any>);
    const expiresAt: Date | null = row.get('expiresAt');
    return {
      id: row.get('id'),
      roleName,
      expiresAt: expiresAt ? new Date(expiresAt).getTime() : null,
      enabled: row.get('enabled') !== false,
      user: owner ? user : null,
      ownerHasRole: roles.some((role: { name: string }) => role.name === roleName),
      allowedIps: compileAllowedIps(row.get('allowedIps')),
      rateLimit: row.get('rateLimit') ?? null,
      readOnly: row.get('readOnly') === true,
    };
  }
}
