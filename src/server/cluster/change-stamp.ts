/** A counter every node can read and add one to: the host's cache, or its Redis client. */
export interface StampStore {
  increment(): Promise<number>;
  read(): Promise<number>;
}

interface HostCache {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<unknown>;
  key?(key: string): string;
  store?: { store?: { client?: RedisLike } };
}
interface RedisLike {
  incr(key: string): Promise<number>;
  get(key: string): Promise<string | null>;
}

/** Whether the host's cache is Redis, which every node of a cluster shares (memory is one process's). */
export function sharesCache(app: { cacheManager?: { defaultStore?: string } }): boolean {
  return app.cacheManager?.defaultStore === 'redis';
}

/**
 * The stamp in the host's cache as it is at the time (it is replaced when the app restarts):
 * an atomic INCR on Redis, shared by the cluster; otherwise a number in the cache, which one
 * process alone uses.
 */
export function stampStore(host: { cacheManager?: { defaultStore?: string }; cache: unknown }, name: string): StampStore {
  const app = host as { cacheManager?: { defaultStore?: string }; cache: HostCache };
  const redis = () => (sharesCache(app) ? app.cache.store?.store?.client : undefined);
  const key = () => (app.cache.key ? app.cache.key(name) : name);
  let local: Promise<unknown> = Promise.resolve();
  return {
    increment() {
      const client = redis();
      if (client) {
        return client.incr(key());
      }
      // One process alone: one increment at a time, so none reads what another is writing.
      const next = local.then(async () => {
        const value = Number((await app.cache.get(name)) ?? 0) + 1;
        await app.cache.set(name, value);
        return value;
      });
      local = next.catch(() => undefined);
      return next;
    },
    async read() {
      const client = redis();
      return Number((client ? await client.get(key()) : await app.cache.get(name)) ?? 0);
    },
  };
}

/** How often a node looks for key changes made on other nodes. */
export const CHANGE_POLL_MS = 1000;

/**
 * Revocation that does not hang on pub/sub. Every committed key change adds one to a counter in
 * the shared cache; each node reads it once a second and drops its cached keys when it moved by
 * more than its own changes. With pub/sub this catches what a dropped connection lost (Redis
 * PUBLISH is at most once); without any adapter it is how a revocation reaches other nodes.
 * One cache read per node per second, none per request, and no database query.
 */
export class ChangeStamp {
  private seen = 0;
  /** Counter values this node's own changes produced: already applied here. */
  private readonly own = new Set<number>();
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;

  constructor(
    private readonly store: StampStore,
    private readonly options: {
      onChange: () => Promise<void> | void;
      onError: (error: unknown) => void;
      intervalMs?: number;
    },
  ) {}

  /** Called after every committed change made on this node. */
  async bump() {
    this.own.add(await this.store.increment());
  }

  async start() {
    // The cache may be a new one (a restart makes it anew): values written before mean nothing.
    this.own.clear();
    this.seen = await this.store.read().catch((error) => {
      this.options.onError(error);
      return 0;
    });
    this.timer ??= setInterval(() => {
      this.polling ??= this.poll().finally(() => (this.polling = undefined));
    }, this.options.intervalMs ?? CHANGE_POLL_MS);
    this.timer.unref();
  }

  async stop() {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.polling;
  }

  /** One look at the counter; one that went back (evicted, reset) counts as a change. */
  async poll() {
    try {
      const current = await this.store.read();
      if (current === this.seen) {
        return;
      }
      const wentBack = current < this.seen;
      const othersChanged = wentBack || !this.onlyOwn(this.seen, current);
      this.seen = current;
      for (const value of this.own) {
        if (wentBack || value <= current) {
          this.own.delete(value);
        }
      }
      if (othersChanged) {
        await this.options.onChange();
      }
    } catch (error) {
      this.options.onError(error);
    }
  }

  private onlyOwn(from: number, to: number) {
    if (to - from > this.own.size) {
      return false;
    }
    for (let value = from + 1; value <= to; value++) {
      if (!this.own.has(value)) {
        return false;
      }
    }
    return true;
  }
}
