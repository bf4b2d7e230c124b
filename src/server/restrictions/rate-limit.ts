import { LRUCache } from 'lru-cache';
import { refusals } from '../errors';

export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

export const MAX_RATE_LIMIT = 1_000_000;
export const MAX_RATE_WINDOW_SECONDS = 86_400;

const isWhole = (value: unknown, max: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= max;

/** `rateLimit` as create and update take it: `{ limit, windowSeconds }`, or null for none. */
export function parseRateLimit(value: unknown): RateLimit | null {
  if (value === undefined || value === null) {
    return null;
  }
  const { limit, windowSeconds, ...rest } = (typeof value === 'object' && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
  if (!isWhole(limit, MAX_RATE_LIMIT) || !isWhole(windowSeconds, MAX_RATE_WINDOW_SECONDS) || Object.keys(rest).length) {
    throw refusals.badInput(
      'rateLimit must be null or { "limit": 1 to {{maxLimit}}, "windowSeconds": 1 to {{maxWindow}} }.',
      { maxLimit: MAX_RATE_LIMIT, maxWindow: MAX_RATE_WINDOW_SECONDS },
    );
  }
  return { limit, windowSeconds };
}

/** Counts hits per fixed window; answers the count including this hit (at once, when it can). */
export interface WindowCounter {
  hit(key: string, windowMs: number): number | Promise<number>;
}

/** One node's counts, for a single process or a cache store that is not shared. */
export class MemoryCounter implements WindowCounter {
  private readonly counts = new LRUCache<string, { count: number }>({ max: 100_000, ttlAutopurge: false });

  hit(key: string, windowMs: number) {
    const entry = this.counts.get(key);
    if (entry) {
      return ++entry.count;
    }
    this.counts.set(key, { count: 1 }, { ttl: windowMs });
    return 1;
  }
}

interface RedisLike {
  multi(): { incr(key: string): any; pExpire(key: string, ms: number): any; exec(): Promise<unknown[]> };
}

/** Counts in the host's Redis cache store, shared by every node: a limit of N is N in all. */
export class RedisCounter implements WindowCounter {
  constructor(private readonly client: RedisLike) {}

  async hit(key: string, windowMs: number) {
    const [count] = await this.client.multi().incr(key).pExpire(key, windowMs).exec();
    return Number(count);
  }
}

/** The host's cache store when it is Redis (`CACHE_DEFAULT_STORE=redis`), else this node's memory. */
export function counterFor(app: { cacheManager?: { defaultStore?: string }; cache?: any }): WindowCounter {
  const client = app.cacheManager?.defaultStore === 'redis' ? app.cache?.store?.store?.client : undefined;
  return client ? new RedisCounter(client) : new MemoryCounter();
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window ends and the count starts again. */
  resetSeconds: number;
}

/** Fixed windows aligned on the clock, so every node counts in the same window. */
export class RateLimiter {
  constructor(
    private readonly counter: WindowCounter,
    private readonly prefix: string,
  ) {}

  /** Synchronous with the memory counter: the hot path awaits nothing it does not need to. */
  take(id: number | string, { limit, windowSeconds }: RateLimit, now = Date.now()): RateDecision | Promise<RateDecision> {
    const windowMs = windowSeconds * 1000;
    const window = Math.floor(now / windowMs);
    const decide = (count: number): RateDecision => ({
      allowed: count <= limit,
      limit,
      remaining: Math.max(0, limit - count),
      resetSeconds: Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000)),
    });
    const count = this.counter.hit(`${this.prefix}:${id}:${windowSeconds}:${window}`, windowMs);
    return typeof count === 'number' ? decide(count) : count.then(decide);
  }
}
