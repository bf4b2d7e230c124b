import type { MockServer } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../constants';
import { createApp, createKey, setUpTodos, withKey } from './helpers';

/** Input the host answers with a 500 or a line of text gets a status and a code on our requests. */
describe('bad input on requests of ours', () => {
  let app: MockServer;
  let key: string;
  let session: Awaited<ReturnType<typeof createKey>>['agent'];

  const badInput = (res: { status: number; body: any }, status = 400) => {
    expect(res.status).toBe(status);
    expect(res.body.errors).toEqual([{ message: expect.any(String), code: ErrorCode.BAD_INPUT }]);
  };
  const todoTitles = async () => (await app.db.getRepository('todos').find({ sort: ['id'] })).map((todo: { get: (name: string) => unknown }) => todo.get('title'));

  beforeAll(async () => {
    app = await createApp();
    const { user } = await setUpTodos(app);
    ({ key, agent: session } = await createKey(app, user));
  });

  afterAll(async () => {
    await app?.destroy();
  });

  it('a body that is not JSON, with a key or to our resources', async () => {
    const broken = '{"title":';
    badInput(await withKey(app, key).post('/api/todos:create').set('Content-Type', 'application/json').send(broken));
    badInput(await session.post('/api/apiKeys:create').set('Content-Type', 'application/json').send(broken));
    badInput(await session.post('/api/apiKeys:update?filterByTk=1').set('Content-Type', 'application/json').send('[1,'));
    const german = await withKey(app, key, { 'X-Locale': 'de-DE' })
      .post('/api/todos:create')
      .set('Content-Type', 'application/json')
      .send(broken);
    badInput(german);
    expect(german.body.errors[0].message).toBe('Der Anfragetext ist kein gültiges JSON.');
  });

  it('a body in an encoding the server does not read', async () => {
    const res = await withKey(app, key)
      .post('/api/todos:create')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'klingon')
      .send('{"title":"x"}');
    badInput(res, 415);
  });

  it('a body that does not decompress as its Content-Encoding says', async () => {
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const res = await withKey(app, key)
        .post('/api/todos:create')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', encoding)
        .send('{"title":"x"}');
      badInput(res);
    }
  });

  it('X-Data-Source naming no data source', async () => {
    badInput(await withKey(app, key, { 'X-Data-Source': 'nope' }).get('/api/todos:list'));
    badInput(await session.get('/api/apiKeys:list').set('X-Data-Source', 'nope'));
    const german = await withKey(app, key, { 'X-Data-Source': 'nope', 'X-Locale': 'de-DE' }).get('/api/todos:list');
    expect(german.body.errors[0].message).toBe('Der Header X-Data-Source nennt keine vorhandene Datenquelle.');
    expect((await withKey(app, key, { 'X-Data-Source': 'main' }).get('/api/todos:list')).status).toBe(200);
  });

  it('update and destroy that name no rows, and nothing is written', async () => {
    const before = await todoTitles();
    const post = (path: string, body: object = {}) =>
      withKey(app, key).post(path).set('Content-Type', 'application/json').send(body);
    badInput(await post('/api/todos:update', { title: 'all of them' }));
    badInput(await post('/api/todos:destroy'));
    badInput(await post(`/api/todos:update?filter=${encodeURIComponent('{}')}&filterByTk=1`, { title: 'x' }));
    badInput(await post(`/api/todos:destroy?filter=${encodeURIComponent('{"$and":[]}')}`));
    expect(await todoTitles()).toEqual(before);

    expect((await post('/api/todos:update?filterByTk=1', { title: 'one' })).status).toBe(200);
    const filter = encodeURIComponent(JSON.stringify({ title: 'one' }));
    expect((await post(`/api/todos:destroy?filter=${filter}`)).status).toBe(200);
    expect(await todoTitles()).toEqual(before.slice(1));
  });
});
