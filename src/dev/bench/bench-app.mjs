// The in-process app the auth-step figures are taken on: NocoBase 2.2.15 with Keyward, a `todos`
// collection of 100 rows, a role that may read it, a user holding only that role, a Keyward key
// and the same key with all three restrictions. Used by auth-step.mjs and in-request.mjs.
//
// Database: SQLite in memory, unless DB_DIALECT is already set (the hook for PostgreSQL figures:
// run the script under `node src/dev/postgres.mjs …`, which sets DB_* for its server).
//
// KEYWARD_DIST=<a dist folder> loads the plugin from another build, for before/after comparisons
// in one sitting: copy `dist` aside, change the code, build, run both.
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const dist = path.resolve(process.env.KEYWARD_DIST ?? path.join(root, 'dist'));
const require = createRequire(path.join(root, 'package.json'));
/** A module of the plugin's build, e.g. `server/verification/key-format.js`. */
export const fromDist = (file) => require(path.join(dist, file));

export const ROLE = 'todos';
export const PASSWORD = 'bench-password';

if (!process.env.DB_DIALECT) {
  Object.assign(process.env, { DB_DIALECT: 'sqlite', DB_STORAGE: ':memory:' });
}
Object.assign(process.env, { LOGGER_LEVEL: 'error', NODE_MODULES_PATH: path.join(root, 'node_modules') });

/** The database this run uses, for the report. */
export const databaseLabel = () =>
  ({ sqlite: 'SQLite (in memory)', postgres: `PostgreSQL at ${process.env.DB_HOST}:${process.env.DB_PORT}` })[process.env.DB_DIALECT] ?? process.env.DB_DIALECT;

export async function benchApp() {
  const { createMockServer } = require('@nocobase/test');
  const { default: PluginKeyward } = fromDist('server/index.js');
  const { generateKey, hashKey, keyHint } = fromDist('server/verification/key-format.js');
  const { PACKAGE_NAME } = fromDist('constants.js');

  const app = await createMockServer({
    plugins: ['field-sort', 'users', 'auth', 'acl', 'data-source-manager', 'system-settings', 'error-handler', [PluginKeyward, { name: PACKAGE_NAME }]],
    acl: true,
    registerActions: true,
    resourcer: { prefix: '/api' },
  });
  const plugin = app.pm.get(PACKAGE_NAME);

  app.db.collection({ name: 'todos', createdBy: true, fields: [{ name: 'title', type: 'string' }, { name: 'completed', type: 'boolean' }] });
  await app.db.sync();
  await app.db.getRepository('todos').create({ values: Array.from({ length: 100 }, (_, i) => ({ title: `to-do ${i + 1}` })) });
  await app.db.getRepository('roles').create({
    values: { name: ROLE, resources: [{ name: 'todos', usingActionsConfig: true, actions: [{ name: 'view', fields: ['title', 'completed'] }] }] },
  });
  const user = await app.db.getRepository('users').create({ values: { username: 'todos', nickname: 'todos', password: PASSWORD, roles: [ROLE] } });

  const keyModel = app.db.getCollection('apiKeys').model;
  const keyRow = (key, name) => ({ name, roleName: ROLE, hash: hashKey(key), hint: keyHint(key), enabled: true, createdById: user.id });
  const validKey = generateKey();
  await keyModel.create(keyRow(validKey, 'bench'), { hooks: false });
  // The same kind of key with all three restrictions: an address list, a rate limit it stays under, read-only.
  const restrictedKey = generateKey();
  await keyModel.create(
    {
      ...keyRow(restrictedKey, 'restricted'),
      allowedIps: ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32', '127.0.0.1'],
      // The most the API takes, in a window no loop here can use up.
      rateLimit: { limit: 1_000_000, windowSeconds: 1 },
      readOnly: true,
    },
    { hooks: false },
  );
  return { app, plugin, user, keyModel, keyRow, validKey, restrictedKey, generateKey };
}

/** Every statement the app sends to the database while counting is on; the once-a-minute lastUsedAt flush apart. */
export function queryCounter(app) {
  const queries = { counting: false, all: 0, writes: 0, flushes: 0 };
  const query = app.db.sequelize.query.bind(app.db.sequelize);
  app.db.sequelize.query = (sql, options) => {
    if (queries.counting) {
      queries.all++;
      const text = typeof sql === 'string' ? sql : sql?.query ?? '';
      if (/^\s*update\b.*lastUsedAt/is.test(text)) queries.flushes++;
      else if (/^\s*(insert|update|delete|replace)\b/i.test(text)) queries.writes++;
    }
    return query(sql, options);
  };
  return {
    queries,
    count(on) {
      queries.counting = on;
      if (on) Object.assign(queries, { all: 0, writes: 0, flushes: 0 });
    },
  };
}

/** The app on a loopback port; `get(headers)` makes one GET /api/todos:list on one kept-alive connection. */
export async function listen(app) {
  const server = http.createServer(app.callback());
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}/api/`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (headers) =>
    new Promise((resolve, reject) => {
      http.get(`${base}todos:list`, { agent, headers }, (res) => res.resume().on('end', () => resolve(res.statusCode))).on('error', reject);
    });
  const session = async () => {
    const signIn = await fetch(`${base}auth:signIn`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Authenticator': 'basic' },
      body: JSON.stringify({ account: 'todos', password: PASSWORD }),
    });
    return { Authorization: `Bearer ${(await signIn.json()).data.token}`, 'X-Authenticator': 'basic' };
  };
  const close = () => {
    agent.destroy();
    server.close();
  };
  return { base, get, session, close };
}
