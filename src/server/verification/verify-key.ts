import { refusals } from '../errors';
import { KEY_PREFIX } from '../../constants';
import { digestHex, isWellFormedKey, KEY_LENGTH, keyDigest } from './key-format';
import type { KeyRecord, KeyStore } from '../persistence/key-store';
import type { FailureFlood } from './failure-flood';

export interface VerifyOptions {
  requestedRole?: string;
  address?: string;
  now?: number;
}

/**
 * The key a presented string is, or a refusal: hash → cache, or else well-formed (prefix,
 * length, alphabet, checksum) → the flood guard, when given (no lookup for an address past its
 * refusals) → one query. A string with our prefix is hashed only at a key's
 * length; anything else must hash to a token imported from the built-in plugin. A key in the
 * cache is answered at once, not in a promise (on the request path every `await` is a turn of
 * the microtask queue), and needs no shape or checksum test: its hash is a stored key's, so it
 * is that key. Before any database work, the shape and the checksum refuse a mistyped or
 * made-up key.
 */
export function findKey(
  presented: string,
  store: KeyStore,
  now: number,
  flood?: FailureFlood,
  address = '',
): KeyRecord | Promise<KeyRecord> {
  const keyward = presented.startsWith(KEY_PREFIX);
  if (keyward && presented.length !== KEY_LENGTH) {
    throw refusals.invalid();
  }
  const digest = keyDigest(presented);
  // The hex only where it is asked for: an imported token's set, a database lookup.
  let hash = keyward ? undefined : digestHex(digest);
  if (hash !== undefined && !store.isImportedHash(hash)) {
    throw refusals.invalid();
  }
  const cached = store.cached(digest, now);
  if (cached) {
    return cached;
  }
  if (keyward && !isWellFormedKey(presented)) {
    throw refusals.invalid();
  }
  hash ??= digestHex(digest);
  // An address past its refusals gets no answer from the database, not even a joined one.
  const blocked = flood?.blockedFor(address, now);
  if (blocked) {
    throw refusals.tooManyFailures(blocked);
  }
  // A lookup of the same key under way is joined: it costs no query, so the flood guard lets it.
  let lookup = store.pending(hash);
  if (!lookup) {
    if (flood) {
      // Not blocked (above): a second's wait for lookups under way to settle.
      if (flood.lookupsFull(address, now)) {
        throw refusals.tooManyFailures(1);
      }
      flood.started(address);
    }
    lookup = store.find(hash);
    if (flood) {
      const ended = () => flood.ended(address);
      lookup.then(ended, ended);
    }
  }
  return lookup.then((record) => record ?? Promise.reject(refusals.invalid()));
}

/**
 * The checks on a key that was found, in a fixed order; each failure throws its own refusal.
 * The address comes first: a key used from elsewhere learns nothing of its state (whether it is
 * disabled, expired or its owner's role gone) from the answer.
 */
export function checkRecord(record: KeyRecord, requestedRole: string | undefined, address: string, now: number): void {
  if (record.allowedIps !== null && !record.allowedIps.allows(address)) {
    throw refusals.ipNotAllowed();
  }
  if (!record.enabled) {
    throw refusals.disabled();
  }
  if (record.expiresAt !== null && record.expiresAt <= now) {
    throw refusals.expired();
  }
  if (!record.user) {
    throw refusals.ownerGone();
  }
  if (!record.ownerHasRole) {
    throw refusals.roleRevoked();
  }
  if (requestedRole && requestedRole !== record.roleName) {
    throw refusals.roleSwitch();
  }
}

/**
 * The whole verification, top to bottom: {@link findKey}, then {@link checkRecord}. Each
 * failure throws one refusal with its own code. `KeyAuth` runs the same two steps on requests.
 */
export async function verifyKey(
  presented: string,
  store: KeyStore,
  { requestedRole, address = '', now = Date.now(), onFound }: VerifyOptions & { onFound?: (record: KeyRecord) => void } = {},
): Promise<KeyRecord> {
  const record = await findKey(presented, store, now);
  // The refusals below are about a known key: its usage counts them.
  onFound?.(record);
  checkRecord(record, requestedRole, address, now);
  return record;
}
