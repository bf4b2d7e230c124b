import { randomInt } from 'crypto';
import { crc32 } from 'zlib';
import { KEY_PREFIX } from '../../constants';
import { digestHex, hexDigest, sha256Digest, sha256Hex } from './sha256';

/**
 * Key layout: `keyward_` + 43 base62 chars (256 random bits) + 6 base62 chars (CRC32 of what
 * precedes). Base62 keeps the key one word for double-click selection; the checksum lets a
 * mistyped or made-up key be refused before any lookup.
 */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 43; // ceil(256 / log2(62))
const CHECKSUM_LENGTH = 6; // ceil(32 / log2(62))
export const KEY_LENGTH = KEY_PREFIX.length + BODY_LENGTH + CHECKSUM_LENGTH;
const KEY_PATTERN = new RegExp(`^${KEY_PREFIX}[0-9A-Za-z]{${BODY_LENGTH + CHECKSUM_LENGTH}}$`);

/** CRC32 in 6 base62 digits, most significant first. On every request: plain number arithmetic. */
function checksum(payload: string): string {
  let value = crc32(payload);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

export function generateKey(): string {
  let body = '';
  for (let i = 0; i < BODY_LENGTH; i++) {
    // randomInt draws from the CSPRNG without modulo bias.
    body += ALPHABET[randomInt(ALPHABET.length)];
  }
  const payload = KEY_PREFIX + body;
  return payload + checksum(payload);
}

/** True when the string has a key's shape: the prefix, the length, base62 after the prefix. */
export function hasKeyShape(candidate: string): boolean {
  return candidate.length === KEY_LENGTH && KEY_PATTERN.test(candidate);
}

/** True when a string of a key's shape ends with the checksum of what precedes it. */
export function hasValidChecksum(candidate: string): boolean {
  const split = KEY_LENGTH - CHECKSUM_LENGTH;
  return checksum(candidate.slice(0, split)) === candidate.slice(split);
}

/** True when the string has a key's shape and a matching checksum. Never touches storage. */
export function isWellFormedKey(candidate: string): boolean {
  return hasKeyShape(candidate) && hasValidChecksum(candidate);
}

/** What is stored and looked up, the key itself never is: its SHA-256 in hex. */
export const hashKey: (key: string) => string = sha256Hex;

/**
 * The same SHA-256 in the form the key cache is keyed by, made on every request (sha256.ts says
 * why this form, and why not OpenSSL's): the function itself, not a wrapper, one call less.
 */
export const keyDigest: (key: string) => string = sha256Digest;

/** Between the two forms of a key's SHA-256: the cache's and the stored hex. */
export { digestHex, hexDigest };

/** Enough to tell keys apart in a list, too little to matter if seen. */
export function keyHint(key: string): string {
  return `${KEY_PREFIX}…${key.slice(-4)}`;
}

/** A key imported from the built-in plugin is a JWT: its hint starts the way every JWT does. */
export function importedKeyHint(token: string): string {
  return `${token.slice(0, 3)}…${token.slice(-4)}`;
}
