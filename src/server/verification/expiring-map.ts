interface Entry<V> {
  value: V;
  /** Epoch ms; the entry is gone from then on. */
  expiresAt: number;
  /** Read since it last reached the front: it gets a second chance before it is dropped. */
  used: boolean;
}

/**
 * A bounded map whose entries expire, for what the request path keeps in memory: cached keys,
 * refused keys per address, rate counts. A lookup is one `Map` lookup and a comparison with the
 * time the caller already read. (lru-cache's `get` does several calls, reads a clock, and with a
 * TTL arms a timer whenever the last one has fired: inside a request, where caches are cold and
 * nothing runs often enough to be optimized, that cost more than the rest of the check.)
 *
 * When full, an insertion drops entries from the oldest end: an expired one or one not read
 * since it got there; one that was read goes to the back once (second chance, close to LRU).
 * Each step is O(1), amortized over the reads that marked entries, so a flood of new entries
 * never makes an insertion scan the map.
 */
export class ExpiringMap<K, V> {
  private readonly entries = new Map<K, Entry<V>>();

  constructor(readonly max: number) {}

  get size() {
    return this.entries.size;
  }

  get(key: K, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      return undefined;
    }
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    entry.used = true;
    return entry.value;
  }

  set(key: K, value: V, expiresAt: number, now: number) {
    // At the back, as the newest.
    this.entries.delete(key);
    while (this.entries.size >= this.max) {
      const [oldest, entry] = this.entries.entries().next().value as [K, Entry<V>];
      this.entries.delete(oldest);
      if (entry.used && entry.expiresAt > now) {
        entry.used = false;
        this.entries.set(oldest, entry);
      }
    }
    this.entries.set(key, { value, expiresAt, used: false });
  }

  delete(key: K) {
    this.entries.delete(key);
  }

  clear() {
    this.entries.clear();
  }

  /** Every key and value, expired ones included (for invalidation, not for answers). */
  *[Symbol.iterator](): IterableIterator<[K, V]> {
    for (const [key, { value }] of this.entries) {
      yield [key, value];
    }
  }
}
