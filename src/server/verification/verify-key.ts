import { refusals } from '../errors';
import { ipAllowed } from '../restrictions/allowed-ips';
import { KEY_PREFIX } from '../../constants';
import { hashKey, isWellFormedKey } from './key-format';
import type { KeyRecord, KeyStore } from '../persistence/key-store';

/**
 * The whole verification, top to bottom: parse → hash → cache/database → checks in a fixed
 * order. Each failure throws one refusal with its own code. A key is either a Keyward key with
 * a valid checksum or a token imported from the built-in plugin; nothing else reaches storage.
 */
export async function verifyKey(
  presented: string,
  store: KeyStore,
  {
    requestedRole,
    address = '',
    now = Date.now(),
    onFound,
  }: { requestedRole?: string; address?: string; now?: number; onFound?: (record: KeyRecord) => void } = {},
): Promise<KeyRecord> {
  // A malformed Keyward key is refused before any hashing; anything else is hashed once.
  const wellFormed = isWellFormedKey(presented);
  const hash = wellFormed || !presented.startsWith(KEY_PREFIX) ? hashKey(presented) : undefined;
  if (!hash || (!wellFormed && !store.isImportedHash(hash))) {
    throw refusals.invalid();
  }
  const record = await store.find(hash);
  if (!record) {
    throw refusals.invalid();
  }
  // The refusals below are about a known key: its usage counts them.
  onFound?.(record);
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
  if (!ipAllowed(record.allowedIps, address)) {
    throw refusals.ipNotAllowed();
  }
  return record;
}
