import type { MockServer } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, KEY_PREFIX } from '../../constants';
import { createApp, createKey, createUser, setUpTodos, TODOS_ROLE, withKey } from './helpers';

describe('apiKeys actions', () => {
  let app: MockServer;
  let alice: { id: number };
  let bob: { id: number };

  beforeAll(async () => {
    app = await createApp();
    ({ user: alice } = await setUpTodos(app));
    bob = await createUser(app, 'bob', [TODOS_ROLE]);
  });

  afterAll(async () => {
    await app?.destroy();
  });

  it('creates a key with the built-in plugin input and shows it once', async () => {
    const agent = await app.agent().login(alice);
    const res = await agent
      .resource('apiKeys')
      .create({ values: { name: '  my script  ', role: { name: TODOS_ROLE }, expiresIn: '7d' } });
    expect(res.status).toBe(200);
    const { token, ...rest } = res.body.data;
    expect(token.startsWith(KEY_PREFIX)).toBe(true);
    expect(rest).toMatchObject({ name: 'my script', roleName: TODOS_ROLE, enabled: true, createdById: alice.id });
    expect(rest.hint).toBe(`${KEY_PREFIX}…${token.slice(-4)}`);
    expect(rest).not.toHaveProperty('hash');
    expect(Date.parse(rest.expiresAt) - Date.now()).toBeGreaterThan(6.9 * 24 * 3600 * 1000);

    const listed = await agent.resource('apiKeys').list({});
    const again = await agent.resource('apiKeys').get({ filterByTk: rest.id });
    for (const body of [listed.body, again.body]) {
      const text = JSON.stringify(body);
      expect(text).not.toContain(token);
      expect(text).not.toContain('"hash"');
      expect(text).not.toContain('"token"');
    }
    expect(again.body.data).toMatchObject({ id: rest.id, role: { name: TODOS_ROLE, title: 'To Dos API Role' } });
  });

  it('takes an explicit expiry date, roleName, and never', async () => {
    const agent = await app.agent().login(alice);
    const expiresAt = new Date(Date.now() + 3 * 24 * 3600 * 1000).toISOString();
    const dated = await agent.resource('apiKeys').create({ values: { name: 'dated', roleName: TODOS_ROLE, expiresAt } });
    expect(dated.status).toBe(200);
    expect(dated.body.data.expiresAt).toBe(expiresAt);
    const never = await agent
      .resource('apiKeys')
      .create({ values: { name: 'forever', role: { name: TODOS_ROLE }, expiresIn: 'never' } });
    expect(never.body.data.expiresAt).toBeNull();
  });

  it("takes the built-in plugin's expiresIn in seconds and as a duration, and a whole role object", async () => {
    const agent = await app.agent().login(alice);
    const role = (await app.db.getRepository('roles').findOne({ filterByTk: TODOS_ROLE })).toJSON();
    const seconds = await agent.resource('apiKeys').create({ values: { name: 'seconds', role, expiresIn: 86400 } });
    expect(seconds.status).toBe(200);
    expect(Date.parse(seconds.body.data.expiresAt) - Date.now()).toBeGreaterThan(86_000_000);
    expect(Date.parse(seconds.body.data.expiresAt) - Date.now()).toBeLessThanOrEqual(86_400_000);
    const hours = await agent.resource('apiKeys').create({ values: { name: 'hours', role: { name: TODOS_ROLE }, expiresIn: '12h' } });
    expect(Date.parse(hours.body.data.expiresAt) - Date.now()).toBeLessThanOrEqual(12 * 3_600_000);
    expect(Date.parse(hours.body.data.expiresAt) - Date.now()).toBeGreaterThan(11.9 * 3_600_000);
  });

  it('refuses a role the caller does not hold', async () => {
    const agent = await app.agent().login(alice);
    // A NUL once reached SQLite inside a query, which answered 500.
    for (const role of [{ name: 'root' }, { name: 'admin' }, { name: 'nope' }, {}, 'root', { name: 'key\u0000mgr' }, '\u0000', { name: 7 }]) {
      const res = await agent.resource('apiKeys').create({ values: { name: 'x', role, expiresIn: '1d' } });
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ message: 'Role not found', code: ErrorCode.ROLE_NOT_FOUND });
    }
  });

  it.each([
    [{ role: { name: TODOS_ROLE }, expiresIn: '1d' }, 'Name is required.'],
    [{ name: '   ', role: { name: TODOS_ROLE }, expiresIn: '1d' }, 'Name is required.'],
    [{ name: 'x'.repeat(101), role: { name: TODOS_ROLE }, expiresIn: '1d' }, 'Name must be at most 100 characters.'],
    // PostgreSQL would store `a\0b` in its place; SQLite fails on it.
    [{ name: 'a\u0000b', role: { name: TODOS_ROLE }, expiresIn: '1d' }, 'Name must not contain control characters.'],
    [{ name: 'two\nlines', role: { name: TODOS_ROLE }, expiresIn: '1d' }, 'Name must not contain control characters.'],
    [{ name: 'next\u0085line', role: { name: TODOS_ROLE }, expiresIn: '1d' }, 'Name must not contain control characters.'],
    [{ name: 'one\u2028line', role: { name: TODOS_ROLE }, expiresIn: '1d' }, 'Name must not contain control characters.'],
    [{ name: 'txt.\u202eexe', role: { name: TODOS_ROLE }, expiresIn: '1d' }, 'Name must not contain control characters.'],
    // Half of a surrogate pair: the database would keep U+FFFD, not the name as sent.
    [{ name: '\ud800-x', role: { name: TODOS_ROLE }, expiresIn: '1d' }, 'Name must be well-formed text (no half of a surrogate pair).'],
    [{ name: 'x', role: { name: TODOS_ROLE } }, 'Expiry must be never'],
    [{ name: 'x', role: { name: TODOS_ROLE }, expiresIn: '11y' }, 'Expiry must be never'],
    [{ name: 'x', role: { name: TODOS_ROLE }, expiresAt: '2001-01-01' }, 'Expiry must be a date in the future'],
    [{ name: ['x'], role: { name: TODOS_ROLE }, expiresIn: '1d' }, 'Name is required.'],
    // A mistyped restriction would leave the key without it.
    [{ name: 'x', role: { name: TODOS_ROLE }, expiresIn: '1d', readonly: true }, 'An API key has no field readonly to set'],
    [{ name: 'x', role: { name: TODOS_ROLE }, expiresIn: '1d', allowedIPs: ['10.0.0.1'] }, 'An API key has no field allowedIPs to set'],
    [{ name: 'x', role: { name: TODOS_ROLE }, expiresIn: '1d', hash: 'x' }, 'An API key has no field hash to set'],
    [{ name: 'x', role: { name: TODOS_ROLE }, roleName: 'admin', expiresIn: '1d' }, 'role and roleName name different roles.'],
  ])('answers bad create input %j with 400', async (values, message) => {
    const agent = await app.agent().login(alice);
    const res = await agent.resource('apiKeys').create({ values });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].code).toBe(ErrorCode.BAD_INPUT);
    expect(res.body.errors[0].message).toContain(message);
  });

  it('refuses a mistyped field on update and changes nothing; takes ten years as 10y', async () => {
    const { record, agent } = await createKey(app, alice, { name: 'typed' });
    for (const values of [{ enable: false }, { read_only: true }, { name: 'renamed', expires_in: '1h' }]) {
      const res = await agent.resource('apiKeys').update({ filterByTk: record.id, values });
      expect(res.status, JSON.stringify(values)).toBe(400);
      expect(res.body.errors[0].message).toMatch(/^An API key has no field \w+ to set/);
    }
    const key = await app.db.getRepository('apiKeys').findOne({ filterByTk: record.id });
    expect([key.get('name'), key.get('enabled'), key.get('readOnly')]).toEqual(['typed', true, false]);
    const tenYears = await agent.resource('apiKeys').create({ values: { name: 'ten years', role: { name: TODOS_ROLE }, expiresIn: '10y' } });
    expect(tenYears.status, JSON.stringify(tenYears.body)).toBe(200);
  });

  it('refuses a rename to a name with a NUL and keeps the old name', async () => {
    const { record, agent } = await createKey(app, alice, { name: 'plain' });
    const res = await agent.resource('apiKeys').update({ filterByTk: record.id, values: { name: 'pl\u0000ain' } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].message).toBe('Name must not contain control characters.');
    expect((await app.db.getRepository('apiKeys').findOne({ filterByTk: record.id })).get('name')).toBe('plain');
  });

  it('keeps names unique per owner only', async () => {
    await createKey(app, alice, { name: 'shared name' });
    const agent = await app.agent().login(alice);
    const clash = await agent
      .resource('apiKeys')
      .create({ values: { name: 'shared name', role: { name: TODOS_ROLE }, expiresIn: '1d' } });
    expect(clash.status).toBe(400);
    await expect(createKey(app, bob, { name: 'shared name' })).resolves.toBeTruthy();
  });

  it('renames, disables, re-enables and shortens; never extends or changes role or owner', async () => {
    const { key, record, agent } = await createKey(app, alice, { expiresIn: '30d' });
    const keys = agent.resource('apiKeys');

    expect((await keys.update({ filterByTk: record.id, values: { name: 'renamed' } })).body.data.name).toBe('renamed');

    expect((await keys.update({ filterByTk: record.id, values: { enabled: false } })).status).toBe(200);
    expect((await withKey(app, key).get('/api/todos:list')).body.errors[0].code).toBe(ErrorCode.DISABLED);
    expect((await keys.update({ filterByTk: record.id, values: { enabled: true } })).status).toBe(200);
    expect((await withKey(app, key).get('/api/todos:list')).status).toBe(200);

    const shorter = await keys.update({ filterByTk: record.id, values: { expiresIn: '1d' } });
    expect(shorter.status).toBe(200);
    expect(Date.parse(shorter.body.data.expiresAt)).toBeLessThan(Date.now() + 1.1 * 24 * 3600 * 1000);

    for (const values of [{ expiresIn: '90d' }, { expiresIn: 'never' }]) {
      const res = await keys.update({ filterByTk: record.id, values });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].message).toContain('brought forward');
    }
    // A role given in a shape that names none is refused too, not ignored.
    for (const values of [{ role: { name: 'root' } }, { roleName: 'admin' }, { createdById: bob.id }, { roleName: 'admin', role: { title: 'x' } }, { role: 'a\u0000b' }]) {
      const res = await keys.update({ filterByTk: record.id, values });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].code).toBe(ErrorCode.BAD_INPUT);
    }
    expect((await keys.update({ filterByTk: record.id, values: { enabled: 'no' } })).status).toBe(400);
    // A key made disabled is one, not an enabled key that ignored what was asked.
    const made = await agent.post('/api/apiKeys:create').send({ name: 'made disabled', role: { name: TODOS_ROLE }, expiresIn: '1d', enabled: false });
    expect(made.body.data.enabled).toBe(false);
    expect((await withKey(app, made.body.data.token).get('/api/todos:list')).body.errors[0].code).toBe(ErrorCode.DISABLED);
    expect((await agent.post('/api/apiKeys:create').send({ name: 'made maybe', role: { name: TODOS_ROLE }, expiresIn: '1d', enabled: 'no' })).status).toBe(400);
    // A list of values is no key's values: refused, not taken as nothing to change.
    for (const res of [
      await agent.post(`/api/apiKeys:update?filterByTk=${record.id}`).send([{ name: 'renamed' }]),
      await agent.post('/api/apiKeys:create').send([{ name: 'listed', role: { name: TODOS_ROLE }, expiresIn: '1d' }]),
    ]) {
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ message: 'The request body must be a JSON object.', code: ErrorCode.BAD_INPUT }]);
    }
    const stored = await app.db.getRepository('apiKeys').findOne({ filterByTk: record.id });
    expect(stored.get('roleName')).toBe(TODOS_ROLE);
    expect(stored.get('createdById')).toBe(alice.id);
  });

  it("keeps two users' keys apart: neither sees, changes nor deletes the other's", async () => {
    const { key: aliceKey, record } = await createKey(app, alice, { name: 'alice only' });
    const bobAgent = await app.agent().login(bob);
    const keys = bobAgent.resource('apiKeys');

    const list = await keys.list({ pageSize: 100 });
    expect(list.body.data.every((item: { createdById: number }) => item.createdById === bob.id)).toBe(true);
    expect(list.body.data.map((item: { name: string }) => item.name)).not.toContain('alice only');

    const got = await keys.get({ filterByTk: record.id });
    expect(got.status).toBe(404);
    const updated = await keys.update({ filterByTk: record.id, values: { enabled: false } });
    expect(updated.status).toBe(404);
    const destroyed = await keys.destroy({ filterByTk: record.id });
    expect(destroyed.status).toBe(404);
    expect(destroyed.body.errors[0]).toMatchObject({ code: ErrorCode.NOT_FOUND, message: 'API key not found' });
    // A mixed batch deletes nothing either.
    const { record: bobRecord } = await createKey(app, bob);
    const mixed = await bobAgent.post(`/api/apiKeys:destroy?filterByTk[]=${bobRecord.id}&filterByTk[]=${record.id}`);
    expect(mixed.status).toBe(404);
    expect(await app.db.getRepository('apiKeys').count({ filter: { id: [record.id, bobRecord.id] } })).toBe(2);

    expect((await withKey(app, aliceKey).get('/api/todos:list')).status).toBe(200);
    // And a filter cannot widen the list.
    const widened = await bobAgent.get(`/api/apiKeys:list?filter=${encodeURIComponent(JSON.stringify({ createdById: alice.id }))}`);
    expect(widened.body.data).toEqual([]);
  });

  it('destroys own keys; the key stops working at once', async () => {
    const { key, record, agent } = await createKey(app, alice);
    expect((await withKey(app, key).get('/api/todos:list')).status).toBe(200);
    expect((await agent.resource('apiKeys').destroy({ filterByTk: record.id })).status).toBe(200);
    const res = await withKey(app, key).get('/api/todos:list');
    expect(res.status).toBe(401);
    expect(res.body.errors[0].code).toBe(ErrorCode.INVALID);
  });

  it.each(['abc', '1 OR 1=1', '-1', '', '1.5'])('answers a bad filterByTk %j with 400', async (id) => {
    const agent = await app.agent().login(alice);
    const res = await agent.get(`/api/apiKeys:get?filterByTk=${encodeURIComponent(id)}`);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].code).toBe(ErrorCode.BAD_INPUT);
  });

  it('never lets a request made with a key read, create, change or delete keys', async () => {
    const { key, record } = await createKey(app, alice);
    const create = await withKey(app, key)
      .post('/api/apiKeys:create')
      .send({ name: 'minted', role: { name: TODOS_ROLE }, expiresIn: 'never' });
    const update = await withKey(app, key).post(`/api/apiKeys:update?filterByTk=${record.id}`).send({ name: 'x' });
    const destroy = await withKey(app, key).post(`/api/apiKeys:destroy?filterByTk=${record.id}`);
    // Nor read them: a leaked key must not show its owner's other keys or where they are used.
    const list = await withKey(app, key).get('/api/apiKeys:list');
    const get = await withKey(app, key).get(`/api/apiKeys:get?filterByTk=${record.id}`);
    const usage = await withKey(app, key).get(`/api/apiKeys:usage?filterByTk=${record.id}`);
    for (const res of [create, update, destroy, list, get, usage]) {
      expect(res.status).toBe(403);
      expect(res.body.errors[0].code).toBe(ErrorCode.MANAGED_BY_KEY);
    }
    expect(await app.db.getRepository('apiKeys').count({ filter: { name: 'minted' } })).toBe(0);
    expect(await app.db.getRepository('apiKeys').count({ filter: { id: record.id, name: record.name } })).toBe(1);
  });

  it('puts key management behind one ACL snippet', async () => {
    const carol = await createUser(app, 'carol', ['member']);
    const agent = await app.agent().login(carol);
    expect((await agent.resource('apiKeys').list({})).status).toBe(403);
    await app.db.getRepository('roles').update({ filterByTk: 'member', values: { snippets: [`pm.@keyward/plugin-api-keys.configuration`] } });
    expect((await agent.resource('apiKeys').list({})).status).toBe(200);
  });

  it('is granted by "Allows to configure plugins" (pm.*) unless this plugin is unticked', async () => {
    // A role with no data strategy at all: only its snippets can let it in.
    const roles = app.db.getRepository('roles');
    await roles.create({ values: { name: 'plugin-admins', snippets: ['ui.*', 'pm', 'pm.*', 'app'] } });
    const dave = await createUser(app, 'dave', ['plugin-admins']);
    const agent = await app.agent().login(dave, 'plugin-admins');
    const created = await agent.resource('apiKeys').create({ values: { name: 'by pm.*', role: { name: 'plugin-admins' }, expiresIn: '1d' } });
    expect(created.status).toBe(200);
    expect((await agent.resource('apiKeys').list({})).body.data.map((key: { name: string }) => key.name)).toEqual(['by pm.*']);
    await roles.update({ filterByTk: 'plugin-admins', values: { snippets: ['pm.*', '!pm.@keyward/plugin-api-keys.configuration'] } });
    expect((await agent.resource('apiKeys').list({})).status).toBe(403);
    expect((await agent.resource('apiKeys').create({ values: { name: 'denied', role: { name: 'plugin-admins' } } })).status).toBe(403);
  });

  it('answers in zh-CN', async () => {
    const agent = await app.agent().login(alice);
    const res = await (agent as any)
      .post('/api/apiKeys:create')
      .set('X-Locale', 'zh-CN')
      .send({ name: 'x', role: { name: 'root' }, expiresIn: '1d' });
    expect(res.body.errors[0].message).toBe('角色不存在');
  });

  it('answers the settings page’s request for the actions allowed on each row, as the host’s ACL does', async () => {
    const agent = await app.agent().login(alice);
    await createKey(app, alice, { name: 'row actions' });
    // The page sends this header; the host then runs the ACL again on a context without `app`.
    const res = await agent.get('/api/apiKeys:list').set('X-With-ACL-Meta', 'true');
    expect(res.status).toBe(200);
    const ids = res.body.data.map((key: any) => key.id);
    expect(res.body.meta.allowedActions).toMatchObject({ update: ids, destroy: ids });
  });
});
