import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { MockCluster } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRedis } from '../../dev/redis.mjs';
import { ErrorCode } from '../../constants';
import { RedisPubSubAdapter, useRedisPubSub } from '../cluster/redis-pub-sub';
import { createCluster, createKey, setUpTodos, sharedDatabase, withKey } from './helpers';

const log = { warn: vi.fn() };

describe('the Redis pub/sub adapter', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('delivers to every subscriber until it unsubscribes, and connects again after closing', async () => {
    const one = new RedisPubSubAdapter(redis.url, log);
    const two = new RedisPubSubAdapter(redis.url, log);
    expect(one.isConnected()).toBe(false);
    await Promise.all([one.connect(), two.connect()]);
    expect(one.isConnected()).toBe(true);

    const heard: string[] = [];
    const first = async (message: string) => void heard.push(`first ${message}`);
    const second = async (message: string) => void heard.push(`second ${message}`);
    await two.subscribe('channel', first);
    await two.subscribe('channel', second);
    await one.publish('channel', 'a');
    await vi.waitFor(() => expect(heard.sort()).toEqual(['first a', 'second a']));

    await two.unsubscribe('channel', first);
    await one.publish('channel', 'b');
    await vi.waitFor(() => expect(heard).toContain('second b'));
    expect(heard).not.toContain('first b');

    await two.close();
    expect(two.isConnected()).toBe(false);
    await two.connect();
    await two.subscribe('channel', first);
    await one.publish('channel', 'c');
    await vi.waitFor(() => expect(heard).toContain('first c'));
    await Promise.all([one.close(), two.close()]);
  });

  it('is given to the host only when asked for and when the host has no adapter of its own', () => {
    const manager = (adapter?: object) => ({ adapter, setAdapter: vi.fn() });
    const app = (pubSubManager: ReturnType<typeof manager>) => ({ pubSubManager, log }) as any;

    const none = manager();
    useRedisPubSub(app(none), undefined);
    expect(none.setAdapter).not.toHaveBeenCalled();

    const own = manager({});
    useRedisPubSub(app(own), redis.url);
    expect(own.setAdapter).not.toHaveBeenCalled();

    const asked = manager();
    useRedisPubSub(app(asked), redis.url);
    expect(asked.setAdapter.mock.calls[0][0]).toBeInstanceOf(RedisPubSubAdapter);
  });

  it('keeps one adapter per app across restarts, and lets an app start while Redis is away', async () => {
    const before = { setAdapter: vi.fn() };
    const app = { pubSubManager: before, log } as any;
    useRedisPubSub(app, 'redis://127.0.0.1:1');
    // A restart gives the app a new pub/sub manager; the old one stays hooked to its start.
    app.pubSubManager = { setAdapter: vi.fn() };
    useRedisPubSub(app, 'redis://127.0.0.1:1');
    const [[first]] = before.setAdapter.mock.calls;
    expect(first).toBeInstanceOf(RedisPubSubAdapter);
    expect(app.pubSubManager.setAdapter.mock.calls[0][0]).toBe(first);

    const away = new RedisPubSubAdapter('redis://127.0.0.1:1', log);
    const started = Date.now();
    await away.connect();
    expect(Date.now() - started).toBeLessThan(8000);
    expect(away.isConnected()).toBe(false);
    await away.close();
  }, 15_000);

  describe('carrying key revocations between two nodes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-redis-'));
    let cluster: MockCluster;

    beforeAll(async () => {
      cluster = await createCluster({ database: sharedDatabase(dir) });
      for (const node of cluster.nodes) {
        // In place of the test kit's in-process adapter: the host subscribes everything again.
        await node.pubSubManager.close();
        node.pubSubManager.setAdapter(new RedisPubSubAdapter(redis.url, log));
        await node.pubSubManager.connect();
      }
    });

    afterAll(async () => {
      await cluster?.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    it('refuses on node two, at once, a key disabled on node one', async () => {
      const [one, two] = cluster.nodes;
      const { user } = await setUpTodos(one);
      const { key, record, agent } = await createKey(one, user);
      expect((await withKey(two, key).get('/api/auth:check')).status).toBe(200);

      await agent.resource('apiKeys').update({ filterByTk: record.id, values: { enabled: false } });
      const started = Date.now();
      await vi.waitFor(
        async () => expect((await withKey(two, key).get('/api/auth:check')).body.errors?.[0]?.code).toBe(ErrorCode.DISABLED),
        { timeout: 1000, interval: 20 },
      );
      // Well inside the stamp's one-second poll; and these mock nodes keep a cache each, so only pub/sub carries it.
      expect(Date.now() - started).toBeLessThan(500);
    });
  });
});
