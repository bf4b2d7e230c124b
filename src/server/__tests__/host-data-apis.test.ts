import type { MockServer } from '@nocobase/test';
import type { SuperAgentTest } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../constants';
import { createApp, createKey, createUser, setUpTodos, SNIPPET, TODOS_ROLE } from './helpers';

/** Hole 5: the host's generic data APIs never hand out a key's hash, nor other users' keys. */
describe('host data APIs and the apiKeys collection', () => {
  let app: MockServer;
  let root: any;
  let mallory: { id: number };
  let hashes: string[];

  beforeAll(async () => {
    app = await createApp({ extraPlugins: ['flow-engine', 'data-visualization'] });
    const { user: alice } = await setUpTodos(app);
    await app.db.getRepository('roles').create({ values: { name: 'key-managers', snippets: [SNIPPET] } });
    mallory = await createUser(app, 'mallory', ['key-managers', TODOS_ROLE]);
    await createKey(app, alice, { name: 'alice-1' });
    await createKey(app, mallory, { name: 'mallory-1' });
    root = await app.db.getRepository('users').findOne({ filter: { id: 1 } });
    const rows = await app.db.sequelize.query(`SELECT hash FROM "keywardApiKeys"`, { type: 'SELECT' });
    hashes = rows.map((row: any) => row.hash);
    expect(hashes).toHaveLength(2);
  });

  afterAll(async () => {
    await app?.destroy();
  });

  const noHash = (body: unknown) => {
    const text = JSON.stringify(body);
    for (const hash of hashes) {
      expect(text).not.toContain(hash);
    }
  };

  const chart = (agent: any, query: Record<string, unknown>) =>
    agent.post('/api/charts:queryData').send({ collection: 'apiKeys', mode: 'builder', variableResolution: 'legacy-schema', ...query });

  it('charts:queryData gives a key manager neither the hash nor other users’ keys', async () => {
    const agent = await app.agent().login(mallory, 'key-managers');
    for (const query of [
      { dimensions: [{ field: ['hash'] }, { field: ['name'] }] },
      { dimensions: [{ field: ['name'] }, { field: ['createdById'] }] },
      { measures: [{ field: ['id'], aggregation: 'count', alias: 'n' }], filter: { hash: { $startsWith: hashes[0][0] } } },
    ]) {
      const res = await chart(agent, query);
      noHash(res.body);
      expect(JSON.stringify(res.body)).not.toContain('alice-1');
      expect(res.status).toBeLessThan(500);
    }
  });

  it('charts:queryData queries no keys, not even for root: a name may be more than a column', async () => {
    const agent = await app.agent().login(root);
    for (const query of [
      { dimensions: [{ field: ['name'] }] },
      { dimensions: [{ field: ['hash'] }, { field: ['name'] }] },
      { measures: [{ field: ['id'], aggregation: 'count', alias: 'n' }], filter: { hash: { $startsWith: hashes[0].slice(0, 1) } } },
      { dimensions: [{ field: ['name'] }], orders: [{ field: ['hash'], order: 'asc' }] },
      // On PostgreSQL, a function of the whole row after the table's name, or the row itself.
      { dimensions: [{ field: ['row_to_json'] }] },
      { dimensions: [{ field: ['concat'] }] },
      { measures: [{ field: ['id'], aggregation: 'count', alias: 'n' }], filter: { $apiKeys$: { $gt: '(' } } },
      { measures: [{ field: ['id'], aggregation: 'count', alias: 'n' }], filter: { name: { $gt: { $col: 'hash' } } } },
    ]) {
      for (const collection of ['apiKeys', 'main:apiKeys', 'APIKEYS']) {
        const res = await agent.post('/api/charts:queryData').send({ mode: 'builder', variableResolution: 'legacy-schema', ...query, collection });
        noHash(res.body);
        expect(res.status, `${collection} ${JSON.stringify(query)}: ${JSON.stringify(res.body)}`).toBe(403);
        expect(res.body.errors[0].code).toBe(ErrorCode.ACTION_NOT_ALLOWED);
      }
    }
  });

  it('the model refuses the hash in a condition however it is spelled, and a condition nested past what it reads', async () => {
    const repository = app.db.getRepository('apiKeys');
    for (const spelled of ['hash', 'HASH', 'Hash', '"hash"', '`hash`', 'ha"sh', '[hash]']) {
      await expect(repository.count({ filter: { [spelled]: { $startsWith: hashes[0][0] } } }), spelled).rejects.toThrow();
    }
    for (const column of ['hash', 'apiKeys.hash', 'HASH', '`hash`', 'apiKeys."hash"', 'ha"sh']) {
      await expect(repository.count({ filter: { name: { $lte: { $col: column } } } }), column).rejects.toThrow();
    }
    // 20 levels of $and: 40 to walk, past the guard's 32; what it does not read, it refuses.
    let deep: Record<string, unknown> = { name: { $ne: null } };
    for (let level = 0; level < 20; level++) deep = { $and: [deep] };
    await expect(repository.count({ filter: deep as any })).rejects.toThrow();
    expect(await repository.count({ filter: { $and: [{ $and: [{ name: { $ne: null } }] }] } })).toBe(2);
  });

  it('charts:queryData reads no usage rows, not even for root', async () => {
    const [alicesKey] = await app.db.getModel('apiKeys').findAll({ where: { name: 'alice-1' } });
    await app.db.getModel('apiKeyUsage').create({ keyId: alicesKey.get('id'), day: '2026-01-01', outcome: 'ok', count: 7 });
    // A role whose strategy lets it view every collection: charts check that strategy.
    await app.db.getRepository('roles').create({ values: { name: 'viewers', strategy: { actions: ['view'] } } });
    const viewer = await createUser(app, 'viewer', ['viewers']);
    for (const [agent, ...roles] of [
      [await app.agent().login(root)],
      [await app.agent().login(viewer, 'viewers')],
    ]) {
      const res = await agent.post('/api/charts:queryData').send({
        collection: 'apiKeyUsage',
        mode: 'builder',
        variableResolution: 'legacy-schema',
        dimensions: [{ field: ['keyId'] }, { field: ['outcome'] }],
        measures: [{ field: ['count'], aggregation: 'sum', alias: 'n' }],
      });
      expect(res.status, JSON.stringify({ roles, body: res.body })).toBe(403);
      expect(JSON.stringify(res.body)).not.toContain('"n":7');
    }
    await expect(app.db.getRepository('apiKeyUsage').find()).rejects.toThrow();
    await expect(app.db.getRepository('apiKeyUsage').aggregate({ method: 'sum', field: 'count' })).rejects.toThrow();
  });

  it('the repository and the model leave the hash out for any other caller', async () => {
    const rows = await app.db.getRepository('apiKeys').find({ raw: true } as any);
    noHash(rows);
    const models = await app.db.getModel('apiKeys').findAll({ raw: true });
    noHash(models);
    await expect(app.db.getRepository('apiKeys').count({ filter: { hash: hashes[0] } })).rejects.toThrow();
    // A workflow's aggregate node: max(hash) would hand one out.
    await expect(app.db.getRepository('apiKeys').aggregate({ method: 'max', field: 'hash' })).rejects.toThrow();
    await expect(app.db.getModel('apiKeys').aggregate('hash', 'max')).rejects.toThrow();
    expect(await app.db.getRepository('apiKeys').aggregate({ method: 'count', field: 'id' })).toBe(2);
  });

  it("a filter's $anyOf or $noneOf values never run as SQL on SQLite, and still match values with quotes", async () => {
    app.db.collection({ name: 'tagged', fields: [{ name: 'tags', type: 'array' }] });
    await app.db.sync();
    await app.db.getRepository('tagged').create({ values: [{ tags: ["it's"] }, { tags: ['plain'] }] });
    const agent = await app.agent().login(root, 'root');
    const count = async (operator: string, values: unknown[]) => {
      const res = await agent.get('/api/tagged:list').query({ filter: JSON.stringify({ tags: { [operator]: values } }) });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.meta.count;
    };
    // A yes/no question about the keys' hashes: true, so a filter run as SQL would match both rows.
    const question = `x') or (select count(*) from "keywardApiKeys" where hash like '_%') > 0 or 1 in ('`;
    expect(await count('$anyOf', [question])).toBe(0);
    expect(await count('$noneOf', [question])).toBe(2);
    expect(await count('$anyOf', [[question]])).toBe(0);
    expect(await count('$anyOf', ["it's"])).toBe(1);
    expect(await count('$noneOf', ["it's"])).toBe(1);
  });

  it("a filter names only the variables a filter needs, for a session too: the host printed the app behind the user's model (the secret that signs every session) and other users' rows", async () => {
    const agent = await app.agent().login(root, 'root');
    const secret = (app.authManager.jwt as unknown as { options: { secret: string } }).options.secret;
    const path = '$user.constructor.database.options.migrator.context.app.authManager.jwt.options';
    const res = await agent.get('/api/todos:list').query({ filter: JSON.stringify({ createdById: '{{$user.id}}', title: { $ne: `{{${path}}}` } }) });
    expect(JSON.stringify(res.body)).not.toContain(secret);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: `The variable ${path} is not one a filter may name.`, code: ErrorCode.BAD_INPUT }]);
    // A whole row (the host loads it with its password hash and prints it), a hidden field, and
    // what is no variable of a filter's: the host calls and prints what they reach.
    for (const variable of ['$user.createdBy', '$user', '$user.password', '$user.roles.users.password', 'ctx.state.constructor', '$nDate.constructor.values', '$nRole.constructor']) {
      const refused = await agent.get('/api/todos:list').query({ filter: JSON.stringify({ createdById: '{{$user.id}}', title: `{{${variable}}}` }) });
      expect(refused.status, variable).toBe(400);
      expect(refused.body.errors[0].message, variable).toBe(`The variable ${variable} is not one a filter may name.`);
    }
    // The user's own columns, through associations too, and what the host's interface sends.
    for (const filter of [
      { createdById: { $ne: '{{$user.id}}' } },
      { title: { $ne: '{{ $user.nickname }}' } },
      { title: { $ne: '{{$user.roles.name}}' } },
      { createdById: { $ne: '{{ctx.state.currentUser.id}}' } },
      { title: { $ne: '{{$nRole}}' } },
      { createdAt: { $dateOn: '{{$nDate.today}}' } },
    ]) {
      const answered = await agent.get('/api/todos:list').query({ filter: JSON.stringify(filter) });
      expect(answered.status, JSON.stringify(filter)).toBe(200);
    }
  });

  it("no user's field holds a whole variable, which a role's scope would hand to the chart plugin's second variable step", async () => {
    const users = app.db.getRepository('users');
    const template = '{{$user.constructor.database.options.migrator.context.app.authManager.jwt.options}}';
    // However it is written: the profile form, an administrator's edit, a sign-up.
    await expect(users.update({ filterByTk: mallory.id, values: { nickname: template } })).rejects.toThrow('cannot be a whole variable');
    await expect(users.create({ values: { username: 'templated', nickname: ` ${template} ` } })).rejects.toThrow('cannot be a whole variable');
    expect((await users.findOne({ filterByTk: mallory.id })).get('nickname')).not.toBe(template);
    await users.update({ filterByTk: mallory.id, values: { nickname: 'Mallory {{not a variable' } });
    // Over HTTP, a refusal with its code.
    const res = await (await app.agent().login(root, 'root')).post(`/api/users:update?filterByTk=${mallory.id}`).send({ nickname: template });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.errors).toEqual([{ message: "A user's nickname cannot be a whole variable.", code: ErrorCode.BAD_INPUT }]);
  });
});
