import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { MockCluster } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../constants';
import { hashKey } from '../verification/key-format';
import { KEY_WRITE } from '../persistence/key-row-guard';
import { createCluster, createKey, setUpTodos, sharedDatabase, TODOS_ROLE, withKey } from './helpers';

describe('a two-node cluster', () => {
  // Both nodes need one database: an in-memory SQLite would give each its own.
  const dir = mkdtempSync(join(tmpdir(), 'keyward-cluster-'));
  let cluster: MockCluster;

  beforeAll(async () => {
    cluster = await createCluster({ database: sharedDatabase(dir) });
  });

  afterAll(async () => {
    await cluster?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses on one node a key revoked on the other, at once', async () => {
    const [one, two] = cluster.nodes;
    const { user } = await setUpTodos(one);

    const { key, record, agent } = await createKey(one, user);
    const disabled = await createKey(one, user);
    // Warm the cache of node two.
    expect((await withKey(two, key).get('/api/auth:check')).status).toBe(200);
    expect((await withKey(two, disabled.key).get('/api/auth:check')).status).toBe(200);

    expect((await agent.resource('apiKeys').destroy({ filterByTk: record.id })).status).toBe(200);
    await disabled.agent.resource('apiKeys').update({ filterByTk: disabled.record.id, values: { enabled: false } });

    const gone = await withKey(two, key).get('/api/auth:check');
    expect(gone.status).toBe(401);
    expect(gone.body.errors[0].code).toBe(ErrorCode.INVALID);
    const off = await withKey(two, disabled.key).get('/api/auth:check');
    expect(off.status).toBe(401);
    expect(off.body.errors[0].code).toBe(ErrorCode.DISABLED);
  });

  it('refuses on the other node within a second a key whose revocation message was lost', async () => {
    const [one, two] = cluster.nodes;
    const user = await one.db.getRepository('users').findOne({ filter: { username: 'todos' } });
    const { key, record, agent } = await createKey(one, user);
    expect((await withKey(two, key).get('/api/auth:check')).status).toBe(200);
    // Redis PUBLISH is at most once: a node connected to pub/sub can still miss a message.
    const publish = vi.spyOn(one.pubSubManager, 'publish').mockResolvedValue(undefined);
    const shared = two.cache;
    two.cache = one.cache;
    try {
      await agent.resource('apiKeys').update({ filterByTk: record.id, values: { enabled: false } });
      expect(publish).toHaveBeenCalled();
      await vi.waitFor(
        async () => expect((await withKey(two, key).get('/api/auth:check')).body.errors?.[0]?.code).toBe(ErrorCode.DISABLED),
        { timeout: 2500, interval: 100 },
      );
    } finally {
      publish.mockRestore();
      two.cache = shared;
    }
  });

  it('publishes a revocation even when the cache refuses the stamp', async () => {
    const [one, two] = cluster.nodes;
    const user = await one.db.getRepository('users').findOne({ filter: { username: 'todos' } });
    const { key, record, agent } = await createKey(one, user);
    expect((await withKey(two, key).get('/api/auth:check')).status).toBe(200);
    const set = vi.spyOn(one.cache, 'set').mockRejectedValue(new Error('OOM command not allowed'));
    try {
      await agent.resource('apiKeys').update({ filterByTk: record.id, values: { enabled: false } });
      await vi.waitFor(
        async () => expect((await withKey(two, key).get('/api/auth:check')).body.errors?.[0]?.code).toBe(ErrorCode.DISABLED),
        { timeout: 500, interval: 20 },
      );
    } finally {
      set.mockRestore();
    }
  });

  it('routes a key imported on one node to Keyward on the other, at once', async () => {
    const [one, two] = cluster.nodes;
    const user = await one.db.getRepository('users').findOne({ filter: { username: 'todos' } });
    // What an import writes: the built-in's token is a JWT, told from a session only by its hash.
    const token = one.authManager.jwt.sign({ userId: user.id, roleName: TODOS_ROLE }, { expiresIn: '1d' });
    await one.db.getRepository('apiKeys').create({
      values: { name: 'imported', roleName: TODOS_ROLE, hash: hashKey(token), hint: 'eyJ…', imported: true },
      context: { state: { currentUser: { id: user.id } } },
      ...{ [KEY_WRITE]: true },
    });
    // One message for a whole import, sent a moment after its last key. Until then node two
    // leaves the token to the host (a JWT signed with APP_KEY), which takes X-Role as asked;
    // once routed to Keyward, a key refuses another role.
    await vi.waitFor(
      async () => {
        const switched = await withKey(two, token, { 'X-Role': 'admin' }).get('/api/auth:check');
        expect(switched.body.errors?.[0]?.code).toBe(ErrorCode.ROLE_SWITCH_REFUSED);
      },
      { timeout: 2000, interval: 50 },
    );
    expect((await withKey(two, token).get('/api/auth:check')).status).toBe(200);
  });
});

describe('a two-node cluster without a pub/sub adapter, sharing a cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-cluster-'));
  let cluster: MockCluster;

  beforeAll(async () => {
    cluster = await createCluster({ database: sharedDatabase(dir) });
    for (const node of cluster.nodes) {
      // Open source as shipped: no adapter, so nothing is published or heard.
      vi.spyOn(node.pubSubManager, 'isConnected').mockResolvedValue(false);
    }
    // One cache for both, as a cluster's cache store on Redis is.
    cluster.nodes[1].cache = cluster.nodes[0].cache;
  });

  afterAll(async () => {
    await cluster?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Time until node two refuses the key with `code`, failing after 5 s. */
  async function refusedWithin(app: MockCluster['nodes'][number], key: string, code: string) {
    const started = Date.now();
    await vi.waitFor(
      async () => {
        const res = await withKey(app, key).get('/api/auth:check');
        expect(res.body.errors?.[0]?.code).toBe(code);
      },
      { timeout: 5000, interval: 100 },
    );
    return Date.now() - started;
  }

  it('refuses on one node a key revoked or stripped of its role on the other, within seconds', async () => {
    const [one, two] = cluster.nodes;
    const { user } = await setUpTodos(one);
    const deleted = await createKey(one, user);
    const disabled = await createKey(one, user);
    const unowned = await createKey(one, user);
    for (const { key } of [deleted, disabled, unowned]) {
      expect((await withKey(two, key).get('/api/auth:check')).status).toBe(200);
    }

    await deleted.agent.resource('apiKeys').destroy({ filterByTk: deleted.record.id });
    expect(await refusedWithin(two, deleted.key, ErrorCode.INVALID)).toBeLessThan(5000);

    await disabled.agent.resource('apiKeys').update({ filterByTk: disabled.record.id, values: { enabled: false } });
    expect(await refusedWithin(two, disabled.key, ErrorCode.DISABLED)).toBeLessThan(5000);

    // Still valid on node two until the change reaches it: this is what the stamp fixes.
    await one.db.getRepository('rolesUsers').destroy({ filter: { userId: user.id, roleName: TODOS_ROLE } });
    expect(await refusedWithin(two, unowned.key, ErrorCode.ROLE_REVOKED)).toBeLessThan(5000);
  });
});
