import type { MockServer } from '@nocobase/test';
import { generateFlowModelRdFromToken } from '@nocobase/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../constants';
import { createApp, createKey, createUser, setUpTodos, TODOS_ROLE, withHeaders, withKey } from './helpers';

/**
 * The flow engine loads the records a request names in `contextParams` with no permission check,
 * for a chart's query with `rd` (derived from the bearer token, its signature unchecked) and for
 * `variables:resolve`; the fields a template names go into the answer.
 */
describe('the flow engine’s record templates', () => {
  let app: MockServer;
  let key: string;
  let adminKeyId: number;
  let session: { token: string; headers: Record<string, string> };
  const UID = 'chart-block';

  /** A session token as the host signs one, so that its `rd` can be derived as the browser does. */
  async function signIn(userId: number, roleName: string) {
    const { jti } = await app.authManager.tokenController.add({ userId });
    const token = app.authManager.jwt.sign({ userId, roleName, temp: true, signInTime: Date.now() }, { jwtid: jti });
    return { token, headers: { Authorization: `Bearer ${token}`, 'X-Authenticator': 'basic', 'X-Role': roleName } };
  }

  /** A chart's query on the flow-model lane, a key's record in its context, its name as an alias. */
  const chartOfKey = (token: string, id: number) => ({
    collection: 'todos',
    mode: 'builder',
    rd: generateFlowModelRdFromToken(UID, token),
    dimensions: [{ field: 'title', alias: '{{ctx.record.name}}' }],
    contextParams: { record: { collection: 'apiKeys', filterByTk: id } },
  });

  beforeAll(async () => {
    app = await createApp({ extraPlugins: ['flow-engine', 'data-visualization'] });
    const { user } = await setUpTodos(app);
    ({ key } = await createKey(app, user, { name: 'alice-key' }));
    const root = await app.db.getRepository('users').findOne({ filterByTk: 1 });
    const { record } = await createKey(app, root, { name: 'the-admin-key', role: { name: 'root' } }, 'root');
    adminKeyId = record.id;
    // A page's chart block whose template names a field of its record, as UI blocks do.
    const saved = await (await app.agent().login(root, 'root'))
      .post('/api/flowModels:save')
      .send({ uid: UID, use: 'ChartBlockModel', stepParams: { chart: { title: '{{ctx.record.name}}' } } });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    session = await signIn(user.id, TODOS_ROLE);
  });

  afterAll(async () => {
    await app?.destroy();
  });

  it('reads no key row for a session, through a chart or variables:resolve, however the record is named', async () => {
    const agent = withHeaders(app, session.headers);
    const refused = (res: { status: number; body: any }, what: string) => {
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(403);
      expect(res.body.errors[0].code, what).toBe(ErrorCode.ACTION_NOT_ALLOWED);
      expect(JSON.stringify(res.body), what).not.toContain('the-admin-key');
    };
    refused(await agent.post('/api/charts:queryData').send(chartOfKey(session.token, adminKeyId)), 'a chart');
    for (const record of [
      { collection: 'apiKeys', filterByTk: adminKeyId },
      { collection: 'main:apiKeys', filterByTk: adminKeyId },
      { collection: 'APIKEYS', filterByTk: adminKeyId },
      { collection: 'apiKeyUsage', filterByTk: 1 },
      { collection: 'users', associationName: 'apiKeys.createdBy', sourceId: adminKeyId, filterByTk: 1 },
    ]) {
      const template = { a: '{{ctx.record.name}}' };
      refused(await agent.post('/api/variables:resolve').send({ template, contextParams: { record } }), JSON.stringify(record));
      refused(
        await agent.post('/api/variables:resolve').send({ values: { batch: [{ template, contextParams: { deep: { list: [{ record }] } } }] } }),
        `in a batch: ${JSON.stringify(record)}`,
      );
    }
  });

  it('still resolves records of data collections for sessions', async () => {
    const res = await withHeaders(app, session.headers)
      .post('/api/variables:resolve')
      .send({ template: { a: '{{ctx.record.title}}' }, contextParams: { record: { collection: 'todos', filterByTk: 1 } } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it('takes a key nowhere near that lane: no rd, contractRd or contextParams', async () => {
    const ofKeys = await withKey(app, key).post('/api/charts:queryData').send(chartOfKey(key, adminKeyId));
    expect(ofKeys.status).toBe(403);
    expect(JSON.stringify(ofKeys.body)).not.toContain('the-admin-key');
    for (const body of [
      { ...chartOfKey(key, adminKeyId), contextParams: { record: { collection: 'todos', filterByTk: 1 } } },
      { collection: 'todos', mode: 'builder', dimensions: [{ field: 'title' }], contextParams: { record: { collection: 'todos', filterByTk: 1 } } },
      { collection: 'todos', mode: 'builder', dimensions: [{ field: 'title' }], rd: 'v1.x.y' },
      { collection: 'todos', mode: 'builder', dimensions: [{ field: 'title' }], contractRd: 'v1.x.y' },
    ]) {
      const res = await withKey(app, key).post('/api/charts:queryData').send(body);
      expect(res.status, JSON.stringify(body)).toBe(403);
      expect(res.body.errors[0].code).toBe(ErrorCode.ACCOUNT_ACTION_REFUSED);
    }
    // A collection's own field named rd is data, on the host's generic actions.
    app.db.collection({ name: 'labs', asStrategyResource: true, fields: [{ name: 'rd', type: 'string' }] });
    await app.db.sync();
    await app.db.getRepository<any>('roles.resources', TODOS_ROLE).create({ values: { name: 'labs', usingActionsConfig: true, actions: [{ name: 'create' }] } });
    expect((await withKey(app, key).post('/api/labs:create').send({ rd: 'r&d' })).status).toBe(200);
    // The legacy lane, which the chart block of a key's script uses, still answers.
    const legacy = await withKey(app, key)
      .post('/api/charts:queryData')
      .send({ collection: 'todos', mode: 'builder', variableResolution: 'legacy-schema', measures: [{ field: 'title', aggregation: 'count', alias: 'n' }] });
    expect(legacy.status, JSON.stringify(legacy.body)).toBe(200);
    expect(legacy.body.data).toEqual([{ n: 3 }]);
  });

  it('refuses a key in X-API-Key beside another bearer token, whose session the flow engine would take', async () => {
    const forged = `e30.${Buffer.from(JSON.stringify({ userId: 1, jti: 'x' })).toString('base64url')}.sig`;
    for (const authorization of [`Bearer ${forged}`, forged, `bearer ${session.token}`]) {
      const res = await withHeaders(app, { 'X-API-Key': key, Authorization: authorization }).get('/api/todos:list');
      expect(res.status, authorization).toBe(400);
      expect(res.body.errors[0]).toEqual({ code: ErrorCode.BAD_INPUT, message: 'Send an API key in X-API-Key or in Authorization, with no other token beside it.' });
    }
    // The same key in both, or another scheme's credentials (a proxy's Basic), are no second token.
    for (const authorization of [`Bearer ${key}`, 'Basic dXNlcjpwYXNz', '']) {
      const res = await withHeaders(app, { 'X-API-Key': key, Authorization: authorization }).get('/api/todos:list');
      expect(res.status, authorization).toBe(200);
    }
  });
});
