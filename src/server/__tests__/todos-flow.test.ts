import type { MockServer } from '@nocobase/test';
import { getAuthCookieName } from '@nocobase/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../constants';
import { createApp, createKey, setUpTodos, withHeaders, withKey } from './helpers';

describe('the To-Dos walkthrough through a key', () => {
  let app: MockServer;
  let user: { id: number };
  let key: string;

  beforeAll(async () => {
    app = await createApp();
    ({ user } = await setUpTodos(app));
    ({ key } = await createKey(app, user));
  });

  afterAll(async () => {
    await app?.destroy();
  });

  it('lists the to-dos with only an Authorization header, as the seed curl does', async () => {
    const res = await withKey(app, key).get('/api/todos:list');
    expect(res.status).toBe(200);
    expect(res.body.data.map((todo: { title: string }) => todo.title).sort()).toEqual(['eat food', 'play games', 'sleep']);
    expect(res.body.meta).toMatchObject({ count: 3, page: 1, pageSize: 20 });
  });

  it('creates, updates and destroys to-dos as the key owner', async () => {
    const created = await withKey(app, key).post('/api/todos:create').send({ title: '123' });
    expect(created.status).toBe(200);
    const id = created.body.data.id;
    expect(created.body.data.createdById).toBe(user.id);

    const updated = await withKey(app, key)
      .post(`/api/todos:update?filterByTk=${id}`)
      .send({ title: '123', completed: true });
    expect(updated.status).toBe(200);
    expect((await app.db.getRepository('todos').findOne({ filterByTk: id })).get('completed')).toBe(true);

    const destroyed = await withKey(app, key).post(`/api/todos:destroy?filterByTk=${id}`);
    expect(destroyed.status).toBe(200);
    expect(await app.db.getRepository('todos').count()).toBe(3);
  });

  it('takes the key from an X-API-Key header too', async () => {
    const res = await withHeaders(app, { 'X-API-Key': key }).get('/api/todos:list');
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(3);
  });

  it("wins over the host's X-Authenticator header and authenticator cookie", async () => {
    const cookies = `${getAuthCookieName('authenticator', app.name)}=basic; ${getAuthCookieName('role', app.name)}=root`;
    for (const request of [
      withKey(app, key, { 'X-Authenticator': 'basic' }),
      withKey(app, key, { Cookie: cookies }),
      withKey(app, key, { 'X-Authenticator': 'basic', Cookie: cookies }),
    ]) {
      const res = await request.get('/api/todos:list');
      expect(res.status).toBe(200);
      expect(res.body.data).toHaveLength(3);
    }
  });

  it('acts as its owner: auth:check answers the user', async () => {
    const res = await withKey(app, key).get('/api/auth:check');
    expect(res.status).toBe(200);
    expect(res.body.data.id).toBe(user.id);
  });

  it('grants nothing beyond its role', async () => {
    const res = await withKey(app, key).get('/api/users:list');
    expect(res.status).toBe(403);
    const roles = await withKey(app, key).post('/api/roles:create').send({ name: 'evil' });
    expect(roles.status).toBe(403);
  });

  it('leaves session tokens untouched', async () => {
    const agent = await app.agent().login(user);
    const res = await agent.get('/api/todos:list');
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(3);
  });

  it('never accepts a key in the query string', async () => {
    for (const query of [`token=${key}`, `page=1&token=${key.replace('_', '%5F')}`, `%74oken=%6B${key.slice(1)}`]) {
      const res = await withHeaders(app).get(`/api/todos:list?${query}`);
      expect(res.status).toBe(401);
      expect(res.body.errors[0].code).toBe(ErrorCode.IN_QUERY);
      expect(JSON.stringify(res.body)).not.toContain(key);
    }
  });
});
