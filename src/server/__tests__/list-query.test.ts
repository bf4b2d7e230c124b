import type { MockServer } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../constants';
import { createApp, createKey, createUser, setUpTodos, TODOS_ROLE } from './helpers';

/** Hole 4: `apiKeys:list` takes only the key's own non-secret columns from the caller. */
describe('apiKeys:list query parameters', () => {
  let app: MockServer;
  let alice: { id: number };
  let agent: any;

  beforeAll(async () => {
    app = await createApp();
    ({ user: alice } = await setUpTodos(app));
    const bob = await createUser(app, 'bob', [TODOS_ROLE]);
    ({ agent } = await createKey(app, alice, { name: 'first' }));
    await createKey(app, alice, { name: 'second' });
    await createKey(app, bob, { name: 'bobs' });
    await app.db.getRepository('users').update({ filterByTk: bob.id, values: { email: 'bob@example.com', password: 'secret123' } });
  });

  afterAll(async () => {
    await app?.destroy();
  });

  const badInput = (res: { status: number; body: any }) => {
    expect(res.status).toBe(400);
    expect(res.body.errors[0].code).toBe(ErrorCode.BAD_INPUT);
    expect(JSON.stringify(res.body)).not.toContain('bob@example.com');
  };

  it('reads no other user through fields or appends', async () => {
    for (const fields of ['id,role.users.email', 'createdBy.email', 'hash', 'role.users']) {
      badInput(await agent.get(`/api/apiKeys:list?fields=${fields}`));
    }
    const appended = await agent.get('/api/apiKeys:list?appends[]=role.users&appends[]=createdBy');
    expect(appended.status).toBe(200);
    expect(JSON.stringify(appended.body)).not.toContain('bob@example.com');
    expect(appended.body.data[0].role).toEqual({ name: TODOS_ROLE, title: 'To Dos API Role' });
    expect(appended.body.data[0]).not.toHaveProperty('createdBy');
  });

  it('refuses a filter or sort on secrets and associations: no count oracle', async () => {
    const filters = [
      { hash: { $startsWith: 'a' } },
      { 'createdBy.password': { $startsWith: '$' } },
      { createdBy: { password: { $ne: null } } },
      { 'role.users.password': { $ne: null } },
      { $or: [{ name: 'first' }, { 'role.users.email': { $includes: '@' } }] },
      { name: { $and: [{ hash: { $ne: null } }] } },
    ];
    for (const filter of filters) {
      badInput(await agent.get(`/api/apiKeys:list?filter=${encodeURIComponent(JSON.stringify(filter))}`));
    }
    for (const sort of ['hash', '-createdBy.email', 'role.users.password']) {
      badInput(await agent.get(`/api/apiKeys:list?sort=${sort}`));
    }
  });

  it('answers malformed parameters with 400, never 500', async () => {
    for (const query of [
      'filter={nope',
      'filter=[1]',
      'filter={"name":{"$nope":1}}',
      'filter={"name":{"$startsWith":null}}',
      'filter={"id":{"$includes":1}}',
      'filter={"id":{"$gt":"abc"}}',
      'filter={"enabled":"x"}',
      'filter={"createdAt":{"$lt":"garbage"}}',
      'pageSize=-1',
      'page=abc',
      'pageSize=100000',
    ]) {
      badInput(await agent.get(`/api/apiKeys:list?${encodeURI(query)}`));
    }
    for (const url of ['/api/apiKeys:update?filterByTk=', '/api/apiKeys:destroy?filterByTk=', '/api/apiKeys:destroy?filterByTk=%00', '/api/apiKeys:update']) {
      badInput(await agent.post(url).send({ name: 'x' }));
    }
  });

  it('still filters, sorts, selects and pages on the key’s own columns', async () => {
    const res = await agent.get(
      `/api/apiKeys:list?filter=${encodeURIComponent(JSON.stringify({ name: { $startsWith: 's' } }))}&sort=-name&fields=id,name`,
    );
    expect(res.status).toBe(200);
    expect(res.body.data.map((key: any) => key.name)).toEqual(['second']);
    expect(res.body.meta.count).toBe(1);
    const paged = await agent.get('/api/apiKeys:list?sort=name&page=2&pageSize=1');
    expect(paged.body.data.map((key: any) => key.name)).toEqual(['second']);
    expect(paged.body.meta).toMatchObject({ count: 2, page: 2, pageSize: 1, totalPage: 2 });
  });

  it('keeps one name per owner even when two creates race past the name check', async () => {
    const create = () => agent.post('/api/apiKeys:create').send({ name: 'raced', role: { name: TODOS_ROLE }, expiresIn: '1d' });
    expect((await create()).status).toBe(200);
    // SQLite runs requests one at a time: let the check miss the first key, as a racing create would.
    const repository = app.db.getRepository('apiKeys');
    const count = vi.spyOn(repository, 'count').mockResolvedValueOnce(0);
    const second = await create();
    count.mockRestore();
    badInput(second);
    expect(await repository.count({ filter: { name: 'raced' } })).toBe(1);
  });

  it('answers ids beyond a bigint with 400', async () => {
    badInput(await agent.get('/api/apiKeys:get?filterByTk=9999999999999999999'));
    badInput(await agent.post('/api/apiKeys:destroy?filterByTk=99999999999999999'));
  });

  const list = (filter: object) => agent.get(`/api/apiKeys:list?filter=${encodeURIComponent(JSON.stringify(filter))}`);

  it('takes a truth test only on a true-or-false column, on every database', async () => {
    // The host compares the column with true: PostgreSQL refuses that for text, dates and ids.
    for (const filter of [{ name: { $isTruly: true } }, { expiresAt: { $isFalsy: true } }, { id: { $isTruly: true } }]) {
      const res = await list(filter);
      badInput(res);
      expect(res.body.errors[0].message, JSON.stringify(filter)).toBe(`filter on ${Object.keys(filter)[0]} must compare it with values of its type.`);
    }
    const enabled = await list({ enabled: { $isTruly: true } });
    expect(enabled.status).toBe(200);
    expect(enabled.body.meta.count).toBeGreaterThan(0);
  });

  it('finds a backslash in a text filter as a backslash, on every database', async () => {
    // PostgreSQL's LIKE reads a backslash as an escape: `C:\keys` would look for `C:keys`.
    await createKey(app, alice, { name: 'C:\\keys\\nightly' });
    await createKey(app, alice, { name: 'ends in \\' });
    const names = async (filter: object) => {
      const res = await list(filter);
      expect(res.status, JSON.stringify(filter)).toBe(200);
      return res.body.data.map((key: any) => key.name);
    };
    expect(await names({ name: { $includes: 'C:\\keys' } })).toEqual(['C:\\keys\\nightly']);
    expect(await names({ name: { $startsWith: 'C:\\' } })).toEqual(['C:\\keys\\nightly']);
    expect(await names({ name: { $endsWith: ' \\' } })).toEqual(['ends in \\']);
    expect(await names({ $or: [{ name: { $includes: 'S\\NIGHT' } }, { name: 'none' }] })).toEqual(['C:\\keys\\nightly']);
  });
});
