import { randomUUID } from 'node:crypto';

interface SharedCache {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<unknown>;
}

/** How often a node without pub/sub looks for key changes made on other nodes. */
export const CHANGE_POLL_MS = 1000;

/**
 * Revocation for clusters without a pub/sub adapter. Every key change leaves a fresh stamp in
 * the host's cache, which a cluster shares (on Redis); each node not connected to pub/sub reads
 * the stamp once a second and drops its cached keys when it moved. One cache read per second per
 * node, none per request, and no database query.
 */
export class ChangeStamp {
  private seen?: unknown;
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;

  constructor(
    private readonly cache: SharedCache,
    private readonly key: string,
    private readonly options: {
      /** Whether pub/sub carries changes right now; the stamp is read only while it does not. */
      connected: () => Promise<boolean> | boolean;
      onChange: () => Promise<void> | void;
      onError: (error: unknown) => void;
      intervalMs?: number;
    },
  ) {}

  /** Called after every committed change, whether or not pub/sub carried it too. */
  async bump() {
    await this.cache.set(this.key, randomUUID());
  }

  async start() {
    this.seen = await this.cache.get(this.key).catch(this.options.onError);
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

  /** One look at the stamp; a stamp gone from the cache counts as a change. */
  async poll() {
    try {
      if (await this.options.connected()) {
        return;
      }
      const stamp = await this.cache.get(this.key);
      if (stamp !== this.seen) {
        this.seen = stamp;
        await this.options.onChange();
      }
    } catch (error) {
      this.options.onError(error);
    }
  }
}
