import { describe, expect, it } from 'vitest';
import { KEY_PREFIX } from '../../constants';
import { generateKey, hashKey, isWellFormedKey, KEY_LENGTH, keyHint } from '../verification/key-format';

describe('key format', () => {
  it('makes distinct prefixed keys that pass their own checksum', () => {
    const keys = Array.from({ length: 200 }, generateKey);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) {
      expect(key).toMatch(new RegExp(`^${KEY_PREFIX}[0-9A-Za-z]+$`));
      expect(key).toHaveLength(KEY_LENGTH);
      expect(isWellFormedKey(key)).toBe(true);
    }
  });

  it('carries at least 256 random bits', () => {
    // 43 base62 characters of secret: 43 * log2(62) > 256.
    expect((KEY_LENGTH - KEY_PREFIX.length - 6) * Math.log2(62)).toBeGreaterThanOrEqual(256);
    // Every body position takes many values across keys: nothing fixed hides in the secret part.
    const keys = Array.from({ length: 300 }, generateKey);
    for (let i = KEY_PREFIX.length + 1; i < KEY_LENGTH - 6; i++) {
      expect(new Set(keys.map((key) => key[i])).size).toBeGreaterThan(20);
    }
  });

  it('rejects any single mistyped character, a wrong prefix or length, and non-ASCII', () => {
    const key = generateKey();
    for (let i = KEY_PREFIX.length; i < key.length; i++) {
      const typo = key.slice(0, i) + (key[i] === 'a' ? 'b' : 'a') + key.slice(i + 1);
      expect(isWellFormedKey(typo)).toBe(false);
    }
    expect(isWellFormedKey(key.replace(KEY_PREFIX, 'keywarb_'))).toBe(false);
    expect(isWellFormedKey(key + 'a')).toBe(false);
    expect(isWellFormedKey(key.slice(0, -1))).toBe(false);
    expect(isWellFormedKey(key.slice(0, -1) + 'é')).toBe(false);
    expect(isWellFormedKey('')).toBe(false);
  });

  it('still accepts, and hashes the same, a key made by the first release', () => {
    const key = 'keyward_80MbdLxSeurMNbQmpv03QV8IJYwD5t6uKcj2TMtG68T2CG5FT';
    expect(isWellFormedKey(key)).toBe(true);
    expect(hashKey(key)).toBe('99daa89aeadae3d2de8445d4d6491b2371a22af1569ca588c267e7bbb83c0e84');
  });

  it('stores a SHA-256 hash and shows only a hint', () => {
    const key = generateKey();
    expect(hashKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashKey(key)).not.toContain(key.slice(KEY_PREFIX.length, KEY_PREFIX.length + 8));
    expect(keyHint(key)).toBe(`${KEY_PREFIX}…${key.slice(-4)}`);
  });
});
