import type { MockServer } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, PACKAGE_NAME, USAGE_COLLECTION } from '../../constants';
import { dayOf, UsageTracker } from '../persistence/usage';
import type PluginKeywardServer from '../plugin';
import { generateKey } from '../verification/key-format';
import { createApp, createKey, createUser, setUpTodos, TODOS_ROLE, withKey } from './helpers';
import { USAGE_READ } from '../persistence/usage-row-guard';
import { KEY_WRITE } from '../persistence/key-row-guard';

describe('apiKeys:usage', () => {
  let app: MockServer;
  let plugin: PluginKeywardServer;
  let user: any;
  let created: Awaited<ReturnType<typeof createKey>>;
  const today = () => dayOf(Date.now());

  beforeAll(async () => {
    app = await createApp();
    ({ user } = await setUpTodos(app));
    plugin = app.pm.get(PACKAGE_NAME) as PluginKeywardServer;
    created = await createKey(app, user);
    for (let i = 0; i < 3; i++) {
      expect((await withKey(app, created.key).get('/api/todos:list')).status).toBe(200);
    }
    await created.agent.resource('apiKeys').update({ filterByTk: created.record.id, values: { allowedIps: ['10.0.0.0/8'] } });
    for (let i = 0; i < 2; i++) {
      expect((await withKey(app, created.key).get('/api/todos:list')).status).toBe(403);
    }
    // Neither a session nor an unknown key counts for the key.
    await created.agent.resource('apiKeys').list();
    await withKey(app, generateKey()).get('/api/todos:list');
  });

  afterAll(async () => {
    await app?.destroy();
  });

  const usage = (query = '') => created.agent.get(`/api/apiKeys:usage?filterByTk=${created.record.id}${query}`);

  it('answers each of the last 30 days, counts not yet written included, and where it was last used', async () => {
    const res = await usage();
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(30);
    expect(res.body.data[29]).toEqual({ date: today(), ok: 3, refused: 2, refusedBy: { [ErrorCode.IP_NOT_ALLOWED]: 2 } });
    expect(res.body.data[0]).toEqual({ date: dayOf(Date.now() - 29 * 86_400_000), ok: 0, refused: 0, refusedBy: {} });
    expect(res.body.meta).toMatchObject({ lastUsedIp: '127.0.0.1' });
    expect(Date.parse(res.body.meta.lastUsedAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('counts the same after the batch is written, with no write per request', async () => {
    await plugin.usage.flush();
    await plugin.tracker.flush();
    expect((await usage('&days=1')).body).toMatchObject({
      data: [{ date: today(), ok: 3, refused: 2 }],
      meta: { lastUsedIp: '127.0.0.1' },
    });
    const rows = await app.db.getModel(USAGE_COLLECTION).findAll({ where: { keyId: created.record.id }, raw: true, [USAGE_READ]: true } as any);
    expect(rows.map((row: any) => [row.outcome, row.count]).sort()).toEqual([[ErrorCode.IP_NOT_ALLOWED, 2], ['ok', 3]]);
  });

  it('adds what two nodes flush for the same row at once', async () => {
    const nodes = [new UsageTracker(app.db), new UsageTracker(app.db)];
    for (const node of nodes) {
      for (let i = 0; i < 5; i++) node.record(created.record.id, 'ok');
    }
    await Promise.all(nodes.map((node) => node.flush()));
    expect((await usage('&days=1')).body.data[0].ok).toBe(13);
  });

  it('keeps 90 days', async () => {
    const model = app.db.getModel(USAGE_COLLECTION);
    const old = (days: number) => ({ keyId: created.record.id, day: dayOf(Date.now() - days * 86_400_000), outcome: 'ok', count: 1 });
    await model.bulkCreate([old(89), old(90), old(200)]);
    await new UsageTracker(app.db).flush();
    const days = (await model.findAll({ where: { keyId: created.record.id, outcome: 'ok' }, raw: true, [USAGE_READ]: true } as any)).map((row: any) => row.day);
    expect(days).toContain(old(89).day);
    expect(days).not.toContain(old(90).day);
    expect(days).not.toContain(old(200).day);
    expect((await usage('&days=90')).body.data).toHaveLength(90);
  });

  it('answers own keys only, and bad input with a 400', async () => {
    const bob = await createUser(app, 'bob', [TODOS_ROLE]);
    const bobs = await app.agent().login(bob, TODOS_ROLE);
    const other = await bobs.get(`/api/apiKeys:usage?filterByTk=${created.record.id}`);
    expect(other.status).toBe(404);
    expect(other.body.errors[0].code).toBe(ErrorCode.NOT_FOUND);
    // Digits only, as written: not a list, an exponent, hex or a sign.
    for (const query of ['&days=0', '&days=91', '&days=abc', '&days[]=1', '&days=1e1', '&days=0x10', '&days=+5', '&days= 5']) {
      expect((await usage(query)).status, query).toBe(400);
    }
    expect((await created.agent.get('/api/apiKeys:usage')).status).toBe(400);
    expect((await created.agent.get('/api/apiKeys:usage?filterByTk=1e3')).status).toBe(400);
  });

  it('goes with its key: written and pending counts, and the pending last use', async () => {
    const gone = await createKey(app, user, { name: 'short-lived' });
    expect((await withKey(app, gone.key).get('/api/todos:list')).status).toBe(200);
    await plugin.usage.flush();
    expect((await withKey(app, gone.key).get('/api/todos:list')).status).toBe(200);
    const rowsOf = () =>
      app.db.getModel(USAGE_COLLECTION).count({ where: { keyId: gone.record.id }, [USAGE_READ]: true } as any);
    expect(await rowsOf()).toBe(1);
    expect((await gone.agent.resource('apiKeys').destroy({ filterByTk: gone.record.id })).status).toBe(200);
    expect(await rowsOf()).toBe(0);
    expect(plugin.usage.pendingFor(gone.record.id)).toEqual([]);
    expect(plugin.tracker.pendingFor(gone.record.id)).toBeUndefined();
    // Counted after the delete (a request under way, another node's flush): a key given the
    // same id (SQLite gives the highest one again) starts with nothing.
    const reused = 987654;
    await app.db.getModel(USAGE_COLLECTION).create({ keyId: reused, day: today(), outcome: 'ok', count: 4 });
    plugin.usage.record(reused, 'ok');
    await app.db.getModel('apiKeys').create({
      id: reused,
      name: 'reused id',
      roleName: TODOS_ROLE,
      hash: 'f'.repeat(64),
      hint: 'keyward_…ffff',
      createdById: user.id,
    }, { [KEY_WRITE]: true } as any);
    const rowsOfReused = () => app.db.getModel(USAGE_COLLECTION).count({ where: { keyId: reused }, [USAGE_READ]: true } as any);
    expect(await rowsOfReused()).toBe(0);
    expect(plugin.usage.pendingFor(reused)).toEqual([]);
  });

  it('serves the rows through apiKeys:usage alone', async () => {
    const root = await app.db.getRepository('users').findOne({ filter: { id: 1 } });
    const admin = await app.agent().login(root, 'root');
    for (const action of ['list', 'get?filterByTk=1', 'destroy?filterByTk=1']) {
      const res = await admin.get(`/api/${USAGE_COLLECTION}:${action}`);
      expect(res.status, action).toBe(403);
      expect(res.body.errors[0].code).toBe(ErrorCode.ACTION_NOT_ALLOWED);
    }
  });
});
