import { createRequire } from 'node:module';
import type { Application } from '@nocobase/server';
import type { createClient } from 'redis';

type RedisClient = ReturnType<typeof createClient>;
type Listener = (message: string) => Promise<void>;

/** The opt-in: a Redis URL for the pub/sub adapter below. */
export const PUBSUB_REDIS_URL_ENV = 'KEYWARD_PUBSUB_REDIS_URL';

/** How long the app's start waits for Redis before it goes on without pub/sub for now. */
const CONNECT_WAIT_MS = 5000;

/**
 * The host's pub/sub adapter interface on plain Redis PUBLISH/SUBSCRIBE, for self-hosted clusters
 * without the commercial adapter. One connection publishes; subscribing needs a second, because
 * a Redis connection in subscriber mode may send nothing else.
 */
export class RedisPubSubAdapter {
  private publisher?: RedisClient;
  private subscriber?: RedisClient;

  constructor(
    private readonly url: string,
    private readonly log: { warn(message: string, meta?: object): void },
    // The host's own Redis client: a NocoBase install always has it, so nothing ships with us.
    private readonly redis: { createClient: typeof createClient } = createRequire(
      require.resolve('@nocobase/server'),
    )('redis'),
  ) {}

  isConnected() {
    return Boolean(this.publisher?.isReady && this.subscriber?.isReady);
  }

  async connect() {
    if (this.publisher) {
      return;
    }
    const publisher = this.redis.createClient({ url: this.url });
    // Without a listener a dropped connection would crash the process; the client reconnects.
    publisher.on('error', (error: Error) => this.log.warn('Keyward pub/sub: Redis error', { error: error.message }));
    const subscriber = publisher.duplicate();
    subscriber.on('error', (error: Error) => this.log.warn('Keyward pub/sub: Redis error', { error: error.message }));
    this.publisher = publisher;
    this.subscriber = subscriber;
    // The host awaits this at start: an unreachable Redis must not hold the app back. The clients
    // go on trying; until they are ready nothing is published, and the change stamp carries
    // revocations meanwhile.
    const connected = Promise.all([publisher.connect(), subscriber.connect()]);
    connected.catch((error: Error) => this.log.warn('Keyward pub/sub: Redis not connected', { error: error?.message }));
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, CONNECT_WAIT_MS)));
    await Promise.race([connected.catch(() => undefined), waited]);
    clearTimeout(timer);
    if (!this.isConnected()) {
      this.log.warn(`Keyward pub/sub: Redis not ready after ${CONNECT_WAIT_MS} ms; still trying`);
    }
  }

  async close() {
    const clients = [this.publisher, this.subscriber];
    this.publisher = this.subscriber = undefined;
    await Promise.all(clients.map((client) => (client?.isOpen ? client.close() : undefined)));
  }

  async subscribe(channel: string, callback: Listener) {
    await this.subscriber?.subscribe(channel, this.deliver(callback));
  }

  async unsubscribe(channel: string, callback: Listener) {
    if (this.subscriber?.isOpen) {
      await this.subscriber.unsubscribe(channel, this.deliver(callback));
    }
  }

  async publish(channel: string, message: string) {
    await this.publisher?.publish(channel, message);
  }

  // One wrapper per callback, so unsubscribe finds the listener subscribe gave Redis.
  private readonly listeners = new WeakMap<Listener, (message: string) => void>();

  private deliver(callback: Listener) {
    let listener = this.listeners.get(callback);
    if (!listener) {
      listener = (message: string) =>
        void callback(message).catch((error: Error) =>
          this.log.warn('Keyward pub/sub: a subscriber failed', { error: error?.message }),
        );
      this.listeners.set(callback, listener);
    }
    return listener;
  }
}

/**
 * One adapter per app for its whole life: the host keeps every pub/sub manager a restart
 * replaces hooked to the app's start and stop, so a new adapter per restart would leave the
 * old ones connecting again, two Redis connections each time.
 */
const adapters = new WeakMap<object, RedisPubSubAdapter>();

/** Gives the host this adapter when asked to by the environment and it has none of its own. */
export function useRedisPubSub(app: Application, url = process.env[PUBSUB_REDIS_URL_ENV]) {
  const manager = app.pubSubManager as Application['pubSubManager'] & { adapter?: unknown };
  if (!url || manager.adapter) {
    return;
  }
  let adapter = adapters.get(app);
  if (!adapter) {
    adapter = new RedisPubSubAdapter(url, app.log);
    adapters.set(app, adapter);
  }
  manager.setAdapter(adapter);
}
