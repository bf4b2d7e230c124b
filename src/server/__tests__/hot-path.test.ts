import { hash } from 'crypto';
import { describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../constants';
import { KeywardError } from '../errors';
import { LastUsedTracker } from '../persistence/last-used';
import type { KeyRecord, KeyStore } from '../persistence/key-store';
import { UsageTracker } from '../persistence/usage';
import { MemoryCounter, RateLimiter } from '../restrictions/rate-limit';
import { ExpiringMap } from '../verification/expiring-map';
import { FailureFlood } from '../verification/failure-flood';
import { generateKey } from '../verification/key-format';
import { digestHex, hexDigest, sha256Digest, sha256Hex } from '../verification/sha256';
import { findKey } from '../verification/verify-key';

const openssl = (text: string) => hash('sha256', text, 'hex');

describe('SHA-256 of the request path', () => {
  it('is OpenSSL’s digest for every length from 0 to 300, at each block boundary', () => {
    for (let length = 0; length <= 300; length++) {
      for (const text of ['a'.repeat(length), Array.from({ length }, (_, i) => String.fromCharCode(i % 128)).join('')]) {
        expect(sha256Hex(text), `length ${length}`).toBe(openssl(text));
      }
    }
  });

  it('is OpenSSL’s digest for random ASCII, keys and JWT-like tokens', () => {
    for (let i = 0; i < 2000; i++) {
      const text = Array.from({ length: Math.floor(Math.random() * 200) }, () => String.fromCharCode(Math.floor(Math.random() * 128))).join('');
      expect(sha256Hex(text)).toBe(openssl(text));
    }
    for (let i = 0; i < 200; i++) {
      const key = generateKey();
      expect(sha256Hex(key)).toBe(openssl(key));
    }
    const jwt = `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${Buffer.from(JSON.stringify({ userId: 1, roleName: 'x', iat: 1 })).toString('base64url')}.${'s'.repeat(43)}`;
    expect(sha256Hex(jwt)).toBe(openssl(jwt));
  });

  it('leaves any other string to OpenSSL, which hashes its UTF-8', () => {
    for (const text of ['é', 'keyward_é', '日本語', '\u{1F600}abc', '\ud800', 'a\x80', '\xff', `${'a'.repeat(70)}é`]) {
      expect(sha256Hex(text), JSON.stringify(text)).toBe(openssl(text));
    }
  });

  it("keys the cache by the same digest, 16 bits a unit, which turns into the stored hex and back", () => {
    const units = (digest: string) => Array.from({ length: digest.length }, (_, i) => digest.charCodeAt(i));
    const bytes = (text: string) => Array.from({ length: 16 }, (_, i) => hash('sha256', text, 'buffer').readUInt16BE(i * 2));
    for (const text of ['', 'abc', generateKey(), 'x'.repeat(119), 'é', '日本語', `${'a'.repeat(70)}é`]) {
      const digest = sha256Digest(text);
      expect(digest).toHaveLength(16);
      expect(units(digest), JSON.stringify(text)).toEqual(bytes(text));
      expect(digestHex(digest)).toBe(openssl(text));
      expect(hexDigest(openssl(text))).toBe(digest);
    }
    // Every 16-bit unit, lone surrogates and zeros included, survives the round trip.
    const every = String.fromCharCode(0, 0xd800, 0xdfff, 0xffff, 0x000f, 0x00f0, 0x0f00, 0xf000, 1, 2, 3, 4, 5, 6, 7, 8);
    expect(hexDigest(digestHex(every))).toBe(every);
    expect(digestHex(every)).toBe('0000d800dfffffff000f00f00f00f000000100020003000400050006000700' + '08');
  });
});

describe('the bounded expiring map of the request path', () => {
  it('forgets an entry from its expiry on', () => {
    const map = new ExpiringMap<string, number>(10);
    map.set('a', 1, 1000, 0);
    expect(map.get('a', 999)).toBe(1);
    expect(map.get('a', 1000)).toBeUndefined();
    expect(map.size).toBe(0);
  });

  it('when full, drops the oldest entry not read since, and never grows past its bound', () => {
    const map = new ExpiringMap<string, number>(3);
    map.set('a', 1, 10_000, 0);
    map.set('b', 2, 10_000, 0);
    map.set('c', 3, 10_000, 0);
    expect(map.get('a', 1)).toBe(1); // a gets a second chance
    map.set('d', 4, 10_000, 1);
    expect(map.size).toBe(3);
    expect(map.get('b', 2)).toBeUndefined();
    expect([...map].map(([key]) => key).sort()).toEqual(['a', 'c', 'd']);
    for (let i = 0; i < 1000; i++) map.set(`k${i}`, i, 10_000, 2);
    expect(map.size).toBe(3);
  });
});

describe('the memory rate counter', () => {
  const limit = { limit: 2, windowSeconds: 60 };

  it('counts each key in fixed windows, and starts again in the next', () => {
    const limiter = new RateLimiter(new MemoryCounter(), 'app:keyward:rate');
    const start = Date.UTC(2026, 0, 1, 0, 0, 0);
    const allowed = (id: number, now: number) => (limiter.take(id, limit, now) as { allowed: boolean }).allowed;
    expect([allowed(1, start), allowed(1, start + 1000), allowed(1, start + 2000)]).toEqual([true, true, false]);
    expect(allowed(2, start + 2000)).toBe(true);
    expect(allowed(1, start + 60_000)).toBe(true);
    expect(limiter.take(1, limit, start + 61_000)).toEqual({ allowed: true, limit: 2, remaining: 0, resetSeconds: 59 });
  });

  it('keeps a window’s count when the key’s window length changes and changes back within it', () => {
    const limiter = new RateLimiter(new MemoryCounter(), 'app:keyward:rate');
    const start = Date.UTC(2026, 0, 1, 0, 0, 0);
    limiter.take(1, limit, start);
    limiter.take(1, limit, start + 1);
    expect(limiter.take(1, { limit: 2, windowSeconds: 30 }, start + 2)).toMatchObject({ allowed: true, remaining: 1 });
    expect(limiter.take(1, limit, start + 3)).toMatchObject({ allowed: false, remaining: 0 });
  });
});

describe('lastUsedAt between flushes', () => {
  it('keeps the latest use of each key, handed out as a Date', () => {
    const tracker = new LastUsedTracker({} as any);
    tracker.touch(1, Date.UTC(2026, 0, 1), '10.0.0.1');
    tracker.touch(1, Date.UTC(2026, 0, 2), '10.0.0.2');
    tracker.touch('2', Date.UTC(2026, 0, 3), 'x'.repeat(100));
    expect(tracker.pendingFor(1)).toEqual({ at: new Date(Date.UTC(2026, 0, 2)), ip: '10.0.0.2' });
    expect(tracker.pendingFor(2)?.at).toEqual(new Date(Date.UTC(2026, 0, 3)));
    expect(tracker.pendingFor(2)!.ip.length).toBeLessThan(100);
    expect(tracker.pendingFor(3)).toBeUndefined();
  });
});

describe('finding the presented key', () => {
  const record = { id: 1 } as KeyRecord;
  const refusedInvalid = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(KeywardError);
      expect((error as KeywardError).code).toBe(ErrorCode.INVALID);
      return;
    }
    throw new Error('not refused');
  };
  const storeWith = (cached: Record<string, KeyRecord>) => {
    const store = {
      // Keyed by the hex here, as stored; the store is asked by the digest.
      cached: vi.fn((digest: string) => cached[digestHex(digest)]),
      find: vi.fn(async () => null),
      pending: vi.fn((): Promise<KeyRecord | null> | undefined => undefined),
      isImportedHash: vi.fn(() => false),
    };
    return store as typeof store & KeyStore;
  };

  it('answers a cached key at once, without a promise', () => {
    const key = generateKey();
    const store = storeWith({ [openssl(key)]: record });
    expect(findKey(key, store, Date.now())).toBe(record);
    expect(store.find).not.toHaveBeenCalled();
  });

  it('refuses a key of the wrong length before hashing, a malformed or mistyped one before any query', () => {
    const key = generateKey();
    const typo = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    const store = storeWith({});
    refusedInvalid(() => findKey('keyward_short', store, Date.now()));
    expect(store.cached).not.toHaveBeenCalled();
    refusedInvalid(() => findKey(typo, store, Date.now()));
    refusedInvalid(() => findKey(`${key.slice(0, 20)}!${key.slice(21)}`, store, Date.now()));
    refusedInvalid(() => findKey(`${key.slice(0, 20)}é${key.slice(21)}`, store, Date.now()));
    expect(store.find).not.toHaveBeenCalled();
    refusedInvalid(() => findKey('eyJ.not.imported', store, Date.now()));
    expect(store.find).not.toHaveBeenCalled();
  });

  it('lets an address past its refusals join no lookup, and a blocked one start none', async () => {
    const key = generateKey();
    const store = storeWith({});
    let settle!: (value: KeyRecord) => void;
    store.pending.mockReturnValue(new Promise((resolve) => (settle = resolve)) as never);
    const flood = new FailureFlood(2);
    flood.record('203.0.113.9');
    expect(findKey(key, store, Date.now(), flood, '203.0.113.9')).toBeInstanceOf(Promise);
    flood.record('203.0.113.9');
    expect(() => findKey(key, store, Date.now(), flood, '203.0.113.9')).toThrow(
      expect.objectContaining({ code: ErrorCode.TOO_MANY_FAILURES }),
    );
    settle(record);
    store.pending.mockReturnValue(undefined);
    expect(() => findKey(key, store, Date.now(), flood, '203.0.113.9')).toThrow(
      expect.objectContaining({ code: ErrorCode.TOO_MANY_FAILURES }),
    );
    expect(store.find).not.toHaveBeenCalled();
  });

  it('looks a well-formed key up once when it is not cached, and refuses it when unknown', async () => {
    const store = storeWith({});
    const found = findKey(generateKey(), store, Date.now());
    expect(found).toBeInstanceOf(Promise);
    await expect(found).rejects.toMatchObject({ code: ErrorCode.INVALID });
    expect(store.find).toHaveBeenCalledTimes(1);
  });
});

describe('usage counted between flushes', () => {
  it('counts each request under its UTC day, across midnight and back', () => {
    const usage = new UsageTracker({} as any);
    const midnight = Date.UTC(2026, 5, 2);
    usage.record(1, 'ok', midnight - 1);
    usage.record(1, 'ok', midnight);
    usage.record(1, 'ok', midnight + 1);
    usage.record(1, 'ok', midnight - 86_400_000 - 1);
    usage.record(1, ErrorCode.DISABLED, midnight + 5);
    const counts = usage.pendingFor(1).map(({ day, outcome, count }) => `${day} ${outcome} ${count}`);
    expect(counts.sort()).toEqual(['2026-05-31 ok 1', '2026-06-01 ok 1', `2026-06-02 ${ErrorCode.DISABLED} 1`, '2026-06-02 ok 2']);
  });
});
