import type { MockServer } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorCode, PACKAGE_NAME } from '../../constants';
import { LastUsedTracker } from '../persistence/last-used';
import type PluginKeywardServer from '../plugin';
import { createApp, createKey, createUser, setUpTodos, TODOS_ROLE, withKey } from './helpers';

/** Hole 8: the smaller ones. */
describe('housekeeping', () => {
  let app: MockServer;
  let plugin: PluginKeywardServer;

  beforeAll(async () => {
    app = await createApp();
    await setUpTodos(app);
    plugin = app.pm.get(PACKAGE_NAME) as PluginKeywardServer;
  });

  afterAll(async () => {
    await app?.destroy();
  });

  it("deletes a user's keys with the user, one at a time or in bulk", async () => {
    const keys = app.db.getRepository('apiKeys');
    const gone = await createUser(app, 'gone', [TODOS_ROLE]);
    const { key } = await createKey(app, gone);
    const bulkA = await createUser(app, 'bulk-a', [TODOS_ROLE]);
    const bulkB = await createUser(app, 'bulk-b', [TODOS_ROLE]);
    await createKey(app, bulkA);
    await createKey(app, bulkB);
    const kept = await createUser(app, 'kept', [TODOS_ROLE]);
    await createKey(app, kept);

    await app.db.getRepository('users').destroy({ filterByTk: gone.id });
    expect(await keys.count({ filter: { createdById: gone.id } })).toBe(0);
    await app.db.getModel('users').destroy({ where: { id: [bulkA.id, bulkB.id] } });
    expect(await keys.count({ filter: { createdById: { $in: [bulkA.id, bulkB.id] } } })).toBe(0);
    expect(await keys.count({ filter: { createdById: kept.id } })).toBe(1);

    // A new user given the old id finds no key of the old one.
    await app.db.getRepository('users').create({ values: { id: gone.id, username: 'newcomer', roles: [TODOS_ROLE] } });
    const res = await withKey(app, key).get('/api/todos:list');
    expect(res.status).toBe(401);
    expect(res.body.errors[0].code).toBe(ErrorCode.INVALID);
  });

  it('drops cached keys when a role changes', async () => {
    const owner = await createUser(app, 'role-watch', [TODOS_ROLE]);
    const { key } = await createKey(app, owner);
    expect((await withKey(app, key).get('/api/todos:list')).status).toBe(200);
    const clear = vi.spyOn(plugin.store, 'clear');
    await app.db.getRepository('roles').update({ filterByTk: TODOS_ROLE, values: { title: 'Renamed' } });
    expect(clear).toHaveBeenCalled();
    clear.mockRestore();
  });

  it('keeps writing the rest of a lastUsedAt batch when one write fails, and retries it', async () => {
    const owner = await createUser(app, 'tracked', [TODOS_ROLE]);
    const first = await createKey(app, owner);
    const second = await createKey(app, owner);
    await plugin.tracker.flush();
    await withKey(app, first.key).get('/api/todos:list');
    await withKey(app, second.key).get('/api/todos:list');
    const model = app.db.getModel('apiKeys');
    const update = vi.spyOn(model, 'update');
    update.mockRejectedValueOnce(new Error('database busy'));
    await expect(plugin.tracker.flush()).rejects.toThrow('1 of 2');
    update.mockRestore();
    const lastUsed = async (id: number) => (await app.db.getRepository('apiKeys').findOne({ filterByTk: id })).get('lastUsedAt');
    const written = [await lastUsed(first.record.id), await lastUsed(second.record.id)];
    expect(written.filter(Boolean)).toHaveLength(1);
    await plugin.tracker.flush();
    expect(await lastUsed(first.record.id)).toBeTruthy();
    expect(await lastUsed(second.record.id)).toBeTruthy();
  });

  it('never moves lastUsedAt back when another node flushes an older use later', async () => {
    const owner = await createUser(app, 'two-nodes', [TODOS_ROLE]);
    const { record } = await createKey(app, owner);
    const otherNode = new LastUsedTracker(app.db);
    const later = Date.parse('2026-06-01T12:00:00Z');
    plugin.tracker.touch(record.id, later, '10.0.0.2');
    otherNode.touch(record.id, later - 30_000, '10.0.0.1');
    await plugin.tracker.flush();
    await otherNode.flush();
    const row = await app.db.getRepository('apiKeys').findOne({ filterByTk: record.id });
    expect(new Date(row.get('lastUsedAt')).getTime()).toBe(later);
    expect(row.get('lastUsedIp')).toBe('10.0.0.2');
  });
});
