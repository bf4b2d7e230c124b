import type { MockServer } from '@nocobase/test';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'fs';
import { dirname, join, resolve } from 'path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorCode, PACKAGE_NAME } from '../../constants';
import swagger, { ACTION_ERRORS, KEY_SCHEME, PAGE_SIZE_MAX, SESSION_SCHEME, TITLE } from '../../swagger';
import { LISTABLE_COLUMNS } from '../restrictions/list-query';
import { createApp, createKey, setUpTodos, TODOS_ROLE } from './helpers';

type Doc = Record<string, any>;
type Headers = Record<string, string>;

const PASSWORD = 'Keyward-doc-1';
const DOC_URL = `/api/swagger:get?ns=${encodeURIComponent(`plugins/${PACKAGE_NAME}`)}`;

/**
 * How the docs page sends "Try it out" (plugin-api-doc 2.2.15, bundled swagger-ui; the code the
 * last test pins): swagger-ui applies the operation's security schemes the Authorize dialog holds
 * (`http` bearer: `Authorization: Bearer <value>`; `apiKey` in a header: that header), then the
 * page's requestInterceptor adds its own API client's headers and session (`X-Locale`, `X-Role`,
 * `X-Authenticator`, `Authorization`) only when no `Authorization` header is set yet.
 */
function tryItOut(
  app: MockServer,
  doc: Doc,
  { path, method, authorized = {}, session, query = '', body }: {
    path: string;
    method: 'get' | 'post';
    authorized?: Record<string, string>;
    session: Headers;
    query?: string;
    body?: object;
  },
) {
  const op = doc.paths[path][method];
  const headers: Headers = { accept: 'application/json' };
  for (const requirement of op.security ?? doc.security ?? []) {
    for (const name of Object.keys(requirement)) {
      const scheme = doc.components.securitySchemes[name];
      const value = authorized[name];
      if (!value) continue;
      if (scheme.type === 'http' && /^bearer$/i.test(scheme.scheme)) headers.Authorization = `Bearer ${value}`;
      if (scheme.type === 'apiKey' && scheme.in === 'header') headers[scheme.name] = value;
    }
  }
  if (!headers.Authorization) Object.assign(headers, session);
  // swagger-ui drops the server URL's trailing slash (a real app's is `/api/`).
  const url = `${doc.servers[0].url.replace(/\/$/, '')}${path}${query}`;
  const request = (app.agent() as any)[method](url).set(headers);
  return body ? request.send(body) : request;
}

describe('NocoBase API documentation plugin', () => {
  let app: MockServer;
  let key: string;
  let keyId: number;
  /** What the docs page adds for a user signed in and acting as the key's role, or as another. */
  let session: Headers;
  let otherRoleSession: Headers;
  let doc: Doc;

  beforeAll(async () => {
    // As in a real app; the docs' URLs start with it.
    vi.stubEnv('API_BASE_PATH', '/api/');
    // The docs plugin finds a plugin's document by its package name in node_modules, where an
    // install (upload, `pm add`, `npm start`) links it; a fresh clone has no such link yet.
    const link = resolve('node_modules', PACKAGE_NAME);
    if (!existsSync(link)) {
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(resolve('.'), link, 'dir');
    }
    app = await createApp({ extraPlugins: ['data-source-main', 'api-doc'] });
    // What the plugin manager records when the package is added (upload or `pm add`); the docs
    // plugin reads `<packageName>/dist/swagger` of each enabled row. Mock servers record none.
    await app.db.getRepository('applicationPlugins').create({
      values: { name: PACKAGE_NAME, packageName: PACKAGE_NAME, enabled: true, installed: true },
    });
    await setUpTodos(app);
    const user = await app.db.getRepository('users').create({
      values: { username: 'docs-reader', nickname: 'docs-reader', roles: [TODOS_ROLE, 'member'], password: PASSWORD },
    });
    ({ key, record: { id: keyId } } = await createKey(app, user));
    const signIn = await app
      .agent()
      .post('/api/auth:signIn')
      .set('X-Authenticator', 'basic')
      .send({ account: 'docs-reader', password: PASSWORD });
    expect(signIn.status).toBe(200);
    // The headers the page's API client sent in Chromium against `npm start` (admin: `X-Role: root`).
    const base = {
      'X-Locale': 'en-US',
      'X-Timezone': '+00:00',
      'X-Hostname': 'localhost',
      'X-App': 'main',
      'X-Authenticator': 'basic',
      Authorization: `Bearer ${signIn.body.data.token}`,
    };
    session = { ...base, 'X-Role': TODOS_ROLE };
    otherRoleSession = { ...base, 'X-Role': 'member' };
    doc = (await app.agent().get(DOC_URL).set(session)).body;
  });

  afterAll(async () => {
    await app?.destroy();
    vi.unstubAllEnvs();
  });

  it("lists Keyward's document among the definitions the page offers, and serves it", async () => {
    const urls = await app.agent().get('/api/swagger:getUrls').set(session);
    expect(urls.status).toBe(200);
    expect(urls.body.data).toContainEqual({ name: TITLE, url: DOC_URL });

    const res = await app.agent().get(DOC_URL).set(session);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(doc);
    // The built package's document is this source's: dist/ is current.
    expect(doc.paths).toEqual(JSON.parse(JSON.stringify(swagger.paths)));
    expect(doc.servers).toEqual([{ url: '/api' }]);
    // "All plugins" and the whole API hold it too.
    for (const url of ['/api/swagger:get?ns=plugins', '/api/swagger:get']) {
      expect(Object.keys((await app.agent().get(url).set(session)).body.paths)).toContain('/apiKeys:create');
    }
  });

  it('describes the five actions, their parameters, bodies, answers and every error code', () => {
    const methods = Object.fromEntries(Object.entries(doc.paths).map(([path, item]) => [path, Object.keys(item as object)]));
    expect(methods).toEqual({
      '/apiKeys:list': ['get'],
      '/apiKeys:get': ['get'],
      '/apiKeys:usage': ['get'],
      '/apiKeys:create': ['post'],
      '/apiKeys:update': ['post'],
      '/apiKeys:destroy': ['post'],
    });
    const op = (action: string) => Object.values(doc.paths[`/apiKeys:${action}`])[0] as Doc;
    const params = (action: string) => (op(action).parameters ?? []).map((p: Doc) => p.name);
    expect(params('list')).toEqual(['filter', 'sort', 'fields', 'page', 'pageSize']);
    for (const action of ['get', 'update', 'destroy']) expect(params(action)).toEqual(['filterByTk']);
    const fields = op('list').parameters.find((p: Doc) => p.name === 'fields');
    expect(fields.schema.items.enum).toEqual(Object.keys(LISTABLE_COLUMNS));

    const schemas = doc.components.schemas;
    expect(Object.keys(schemas.KeywardApiKey.properties)).toEqual([...Object.keys(LISTABLE_COLUMNS), 'allowedIps', 'rateLimit', 'role']);
    expect(Object.keys(schemas.KeywardApiKeyCreate.properties)).toEqual([
      'name',
      'role',
      'expiresIn',
      'expiresAt',
      'allowedIps',
      'rateLimit',
      'readOnly',
      'enabled',
    ]);
    expect(schemas.KeywardNewApiKey.allOf[1].properties.token).toBeDefined();

    for (const [action, codes] of Object.entries(ACTION_ERRORS)) {
      const answered = Object.values(op(action).responses).flatMap((response: any) =>
        Object.keys(response.content?.['application/json']?.examples ?? {}),
      );
      expect(answered.sort(), action).toEqual([...codes].sort());
    }
    const text = JSON.stringify(doc);
    for (const code of Object.values(ErrorCode)) expect(text, code).toContain(code);

    expect(doc.components.securitySchemes[KEY_SCHEME]).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes[KEY_SCHEME].description).toContain('X-API-Key');
    expect(op('list').security).toEqual([{ [SESSION_SCHEME]: [] }]);
    expect(op('create').security).toEqual([{ [SESSION_SCHEME]: [] }]);
  });

  it('answers with the codes the document lists for each action', async () => {
    const get = (url: string, headers: Headers = session) => app.agent().get(`/api/apiKeys:${url}`).set(headers);
    const post = (url: string, body: object = {}, headers: Headers = session) =>
      app.agent().post(`/api/apiKeys:${url}`).set(headers).send(body);
    const withKey = { Authorization: `Bearer ${key}` };
    const cases: [action: string, status: number, code: string, request: () => any][] = [
      ['list', 400, ErrorCode.BAD_INPUT, () => get('list?filter={"hash":"x"}')],
      ['list', 400, ErrorCode.BAD_INPUT, () => get(`list?pageSize=${PAGE_SIZE_MAX + 1}`)],
      ['list', 401, ErrorCode.INVALID, () => get('list', { Authorization: `Bearer ${key}x` })],
      ['list', 403, ErrorCode.ROLE_SWITCH_REFUSED, () => get('list', { ...withKey, 'X-Role': 'member' })],
      ['get', 404, ErrorCode.NOT_FOUND, () => get('get?filterByTk=999')],
      ['create', 405, ErrorCode.METHOD_NOT_ALLOWED, () => get('create')],
      ['create', 400, ErrorCode.ROLE_NOT_FOUND, () => post('create', { name: 'x', role: { name: 'root' }, expiresIn: '1d' })],
      ['create', 403, ErrorCode.MANAGED_BY_KEY, () => post('create', { name: 'x', role: { name: TODOS_ROLE }, expiresIn: '1d' }, withKey)],
      ['update', 400, ErrorCode.BAD_INPUT, () => post(`update?filterByTk=${keyId}`, { expiresIn: 'never' })],
      ['destroy', 404, ErrorCode.NOT_FOUND, () => post('destroy?filterByTk=999')],
    ];
    for (const [action, status, code, request] of cases) {
      const res = await request();
      expect([res.status, res.body.errors?.[0]?.code], `${action} ${code}`).toEqual([status, code]);
      const op = Object.values(doc.paths[`/apiKeys:${action}`])[0] as Doc;
      expect(Object.keys(op.responses[status].content['application/json'].examples), `${action} ${code}`).toContain(code);
    }
    expect((await get(`list?pageSize=${PAGE_SIZE_MAX}`)).status).toBe(200);
  });

  it('takes a key in the Authorize dialog: data calls use it, key management the session', async () => {
    const authorized = { [KEY_SCHEME]: key };
    // Reads of keys too leave the key out: a key may not read keys, the page sends the session.
    const list = await tryItOut(app, doc, { path: '/apiKeys:list', method: 'get', authorized, session });
    expect(list.status).toBe(200);
    expect(list.body.data.map((row: Doc) => row.id)).toContain(keyId);
    const one = await tryItOut(app, doc, {
      path: '/apiKeys:get',
      method: 'get',
      authorized,
      session,
      query: `?filterByTk=${keyId}`,
    });
    expect(one.body.data).toMatchObject({ id: keyId, role: { name: TODOS_ROLE } });
    expect(one.body.data.hash).toBeUndefined();

    // Any other operation of the docs (a collection's, say) has the host's global `api-key` scheme.
    const todosDoc = { ...doc, paths: { '/todos:list': { get: {} } } };
    const todos = await tryItOut(app, todosDoc, {
      path: '/todos:list',
      method: 'get',
      authorized,
      session: otherRoleSession,
    });
    expect(todos.status).toBe(200);
    expect(todos.body.data).toHaveLength(3);

    // Writes need a session: they leave the key out, and the page sends the user's own.
    const created = await tryItOut(app, doc, {
      path: '/apiKeys:create',
      method: 'post',
      authorized,
      session,
      body: { name: 'from the docs page', role: { name: TODOS_ROLE }, expiresIn: 3600 },
    });
    expect(created.status).toBe(200);
    expect(created.body.data.token).toMatch(/^keyward_/);
    const { id } = created.body.data;
    const query = `?filterByTk=${id}`;
    const updated = await tryItOut(app, doc, { path: '/apiKeys:update', method: 'post', authorized, session, query, body: { enabled: false } });
    expect(updated.body.data).toMatchObject({ id, enabled: false });
    const destroyed = await tryItOut(app, doc, { path: '/apiKeys:destroy', method: 'post', authorized, session, query });
    expect(destroyed.body).toEqual({ data: 1 });
  });

  it("refuses a key sent from the page beside the session's token (as an X-API-Key scheme would send it)", async () => {
    const withHeaderScheme = {
      ...doc,
      paths: { '/apiKeys:list': { get: { security: [{ header: [] }] } } },
      components: { securitySchemes: { header: { type: 'apiKey', in: 'header', name: 'X-API-Key' } } },
    };
    const res = await tryItOut(app, withHeaderScheme, {
      path: '/apiKeys:list',
      method: 'get',
      authorized: { header: key },
      session: otherRoleSession,
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toEqual({ code: ErrorCode.BAD_INPUT, message: 'Send an API key in X-API-Key or in Authorization, with no other token beside it.' });
  });

  it("matches the installed docs page's code: bearer from the dialog, the page's session only without one", () => {
    const client = join(dirname(require.resolve('@nocobase/plugin-api-doc/package.json')), 'dist/client');
    const code = readdirSync(client)
      .filter((file) => file.endsWith('.js'))
      .map((file) => readFileSync(join(client, file), 'utf8'))
      .join('\n');
    // swagger-ui: `http` + `bearer` sets `Authorization: Bearer <value>`.
    expect(code).toMatch(/\/\^bearer\$\/i\.test\(\w+\.scheme\)&&\(\w+\.headers\.Authorization=`Bearer \$\{\w+\}`\)/);
    // The page's requestInterceptor: `h.Authorization || (Object.assign(h, api.getHeaders()), …)`.
    expect(code).toMatch(/(\w+)\.Authorization\|\|\(Object\.assign\(\1,\w+\.getHeaders\(\)\)/);
  });
});
