import { refusals } from '../errors';
import { ExpiringMap } from '../verification/expiring-map';

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

/**
 * Counts hits per fixed window; answers the count including this hit (at once, when it can).
 * Window number `window` of a key's `windowSeconds`-long windows, numbered from the epoch, is
 * named `<prefix>:<id>:<windowSeconds>:<window>` where counts are shared.
 */
export interface WindowCounter {
  hit(prefix: string, id: number | string, windowSeconds: number, window: number, now: number): number | Promise<number>;
}

/** A key's counts on this node: its current window for each window length it has had. */
interface KeyWindows {
  endsAt: number;
  byLength: Map<number, { window: number; count: number }>;
}

/** One node's counts, for a single process or a cache store that is not shared. */
export class MemoryCounter implements WindowCounter {
  /** By key id, then window length: a request counts without building a string. */
  private readonly counts = new ExpiringMap<number | string, KeyWindows>(100_000);

  hit(_prefix: string, id: number | string, windowSeconds: number, window: number, now: number) {
    const windows = this.counts.get(id, now);
    const current = windows?.byLength.get(windowSeconds);
    if (current !== undefined && current.window === window) {
      return ++current.count;
    }
    const endsAt = (window + 1) * windowSeconds * 1000;
    const entry = windows ?? { endsAt, byLength: new Map() };
    entry.byLength.set(windowSeconds, { window, count: 1 });
    entry.endsAt = Math.max(entry.endsAt, endsAt);
    this.counts.set(id, entry, entry.endsAt, now);
    return 1;
  }
}

interface RedisLike {
  multi(): { incr(key: string): any; pExpire(key: string, ms: number): any; exec(): Promise<unknown[]> };
}

/** Counts in the host's Redis cache store, shared by every node: a limit of N is N in all. */
export class RedisCounter implements WindowCounter {
  constructor(private readonly client: RedisLike) {}

  async hit(prefix: string, id: number | string, windowSeconds: number, window: number) {
    const key = `${prefix}:${id}:${windowSeconds}:${window}`;
    const [count] = await this.client.multi().incr(key).pExpire(key, windowSeconds * 1000).exec();
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
    const resetSeconds = Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000));
    const count = this.counter.hit(this.prefix, id, windowSeconds, window, now);
    return typeof count === 'number'
      ? decide(count, limit, resetSeconds)
      : count.then((settled) => decide(settled, limit, resetSeconds));
  }
}

function decide(count: number, limit: number, resetSeconds: number): RateDecision {
  return { allowed: count <= limit, limit, remaining: Math.max(0, limit - count), resetSeconds };
}
