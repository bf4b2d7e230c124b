// The auth step alone, in process, on one NocoBase app on SQLite with 10, 10,000 and 100,000
// keys stored: our routing middleware and the host's auth middleware, called directly, timed
// from entry to exit. Then the same step timed inside live HTTP requests, a session token's for
// scale, and the database queries and writes of whole requests. Run by `npm run bench`.
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable, summarize, target } from './report.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
Object.assign(process.env, {
  DB_DIALECT: 'sqlite',
  DB_STORAGE: ':memory:',
  LOGGER_LEVEL: 'error',
  NODE_MODULES_PATH: path.join(root, 'node_modules'),
});
const require = createRequire(import.meta.url);
const compose = require('koa-compose');
const { createMockServer } = require('@nocobase/test');
const { default: PluginKeyward } = require(path.join(root, 'dist/server/index.js'));
const { generateKey, hashKey, keyHint } = require(path.join(root, 'dist/server/verification/key-format.js'));
const { routeKeyRequests } = require(path.join(root, 'dist/server/verification/route-key-requests.js'));
const { PACKAGE_NAME } = require(path.join(root, 'dist/constants.js'));
const { FailureFlood } = require(path.join(root, 'dist/server/verification/failure-flood.js'));

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 20_000);
const STORED = [10, 10_000, 100_000];
const ROLE = 'todos';
const PASSWORD = 'bench-password';
// Every sample comes from one address: the refused-key samples measure a lookup each, not the
// flood guard's answer, which it would give after the 30th.
process.env.KEYWARD_MAX_FAILURES_PER_MINUTE = '1000000000';

const app = await createMockServer({
  plugins: ['field-sort', 'users', 'auth', 'acl', 'data-source-manager', 'system-settings', 'error-handler', [PluginKeyward, { name: PACKAGE_NAME }]],
  acl: true,
  registerActions: true,
  resourcer: { prefix: '/api' },
});
const { store, keyAuthOptions } = app.pm.get(PACKAGE_NAME);

// Every statement the app sends to SQLite while `counting` is on. The once-a-minute lastUsedAt
// flush is counted apart: it is not made by any request.
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
function countQueries(on) {
  queries.counting = on;
  if (on) Object.assign(queries, { all: 0, writes: 0, flushes: 0 });
}

// The To-Dos data: 100 to-dos, a role with full access, a user holding only that role.
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
// The same key with all three restrictions set: an address list, a rate limit it stays under, read-only.
const restrictedKey = generateKey();
await keyModel.create(
  {
    ...keyRow(restrictedKey, 'restricted'),
    allowedIps: ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32', '127.0.0.1'],
    rateLimit: { limit: 1_000_000_000, windowSeconds: 3600 },
    readOnly: true,
  },
  { hooks: false },
);
let stored = 1;
async function storeKeys(total) {
  while (stored < total) {
    const rows = Array.from({ length: Math.min(10_000, total - stored) }, (_, i) => keyRow(generateKey(), `filler ${stored + i}`));
    await keyModel.bulkCreate(rows, { hooks: false });
    stored += rows.length;
  }
}

// --- The auth step called directly: a fresh Koa context per call, the two middlewares, no HTTP.
const authStep = compose([routeKeyRequests((token) => store.isImportedToken(token)), app.authManager.middleware()]);
const socket = new net.Socket();
function context(headers) {
  const req = new http.IncomingMessage(socket);
  Object.assign(req, { method: 'GET', url: '/api/todos:list', headers });
  const ctx = app.createContext(req, new http.ServerResponse(req));
  Object.assign(ctx, { db: app.db, logger: app.logger, action: { resourceName: 'todos', actionName: 'list', params: {} } });
  return ctx;
}
const done = async () => {};

/** `count` timed calls (after a warm-up): µs per call, refusals, queries per call. */
async function direct(key, { count = SAMPLES, miss = false } = {}) {
  const headers = { authorization: `Bearer ${key}` };
  const samples = [];
  let refused = 0;
  let totalQueries = 0;
  for (let i = -Math.min(2000, count); i < count; i++) {
    const ctx = context({ ...headers });
    if (miss) store.clear();
    countQueries(true);
    const started = process.hrtime.bigint();
    try {
      await authStep(ctx, done);
    } catch {
      if (i >= 0) refused++;
    }
    const elapsed = Number(process.hrtime.bigint() - started) / 1000;
    countQueries(false);
    if (i >= 0) {
      samples.push(elapsed);
      totalQueries += queries.all;
    }
  }
  return { ...summarize(samples), refused, queries: totalQueries / count };
}

/** The best of several batches (as timeit does): noise from the VM or a collection only adds time. */
async function steady(key, options, batches = 5) {
  const runs = [];
  for (let i = 0; i < batches; i++) {
    globalThis.gc?.();
    runs.push(await direct(key, options));
  }
  return runs.reduce((best, run) => (run.p50 < best.p50 ? run : best));
}

const results = {};
const rows = [];
for (const total of STORED) {
  await storeKeys(total);
  const hit = await steady(validKey, { count: Math.round(SAMPLES / 5) });
  const miss = await steady(validKey, { miss: true, count: Math.min(SAMPLES / 5, 400) });
  results[total] = { hit, miss };
  rows.push([total.toLocaleString('en-US'), hit.p50, hit.p99, hit.queries, miss.p50, miss.p99, miss.queries]);
}
console.log(`\nAuth step alone, called directly (routing + the host's auth middleware, entry to exit), a valid key; best of 5 batches`);
printTable(['keys stored', 'hit p50 µs', 'hit p99 µs', 'queries', 'miss p50 µs', 'miss p99 µs', 'queries'], rows);

// A mistyped key (checksum off by one character), a malformed one, a made-up well-formed one.
const typo = validKey.slice(0, -1) + (validKey.endsWith('A') ? 'B' : 'A');
const refusals = {
  'bad checksum': await direct(typo),
  'malformed (too short)': await direct('keyward_abc'),
  'well-formed, unknown': await direct(generateKey(), { count: Math.min(SAMPLES, 2000) }),
};
console.log('\nRefused keys, called directly (100,000 keys stored)');
printTable(
  ['key', 'refused', 'p50 µs', 'p99 µs', 'refusals/s, one core', 'queries'],
  Object.entries(refusals).map(([name, r]) => [name, `${r.refused}/${r.count}`, r.p50, r.p99, Math.round(1e6 / r.mean).toLocaleString('en-US'), r.queries]),
);

// --- The same step inside live HTTP requests: a timer before our routing middleware, a stop
// right after the host's auth middleware (or none, for whole requests).
const live = { samples: [], stopAfterAuth: true };
app.dataSourceManager.use(
  async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      live.samples.push(Number(process.hrtime.bigint() - started) / 1000);
    }
  },
  { tag: 'bench-timer', before: 'keyward-route' },
);
app.dataSourceManager.use(
  async (ctx, next) => {
    if (!live.stopAfterAuth) return next();
    ctx.body = { ok: true };
  },
  { tag: 'bench-stop', after: 'auth', before: 'setCurrentRole' },
);
const server = http.createServer(app.callback());
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}/api/`;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const get = (headers) =>
  new Promise((resolve, reject) => {
    http.get(`${base}todos:list`, { agent, headers }, (res) => res.resume().on('end', () => resolve(res.statusCode))).on('error', reject);
  });

/** Sequential requests; the timer's figures and the queries and writes of the timed ones. */
async function inRequests(headers, { count = 2000, stopAfterAuth = true } = {}) {
  live.stopAfterAuth = stopAfterAuth;
  for (let i = 0; i < 200; i++) await get(headers);
  live.samples = [];
  countQueries(true);
  const statuses = new Set();
  for (let i = 0; i < count; i++) statuses.add(await get(headers));
  countQueries(false);
  const requestQueries = (queries.all - queries.flushes) / count;
  return { ...summarize(live.samples), queries: requestQueries, writes: queries.writes, flushes: queries.flushes, statuses: [...statuses] };
}

live.stopAfterAuth = false;
const signIn = await fetch(`${base}auth:signIn`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json', 'X-Authenticator': 'basic' },
  body: JSON.stringify({ account: 'todos', password: PASSWORD }),
});
const session = { Authorization: `Bearer ${(await signIn.json()).data.token}`, 'X-Authenticator': 'basic' };
const keyLive = await inRequests({ Authorization: `Bearer ${validKey}` });
const restrictedLive = await inRequests({ Authorization: `Bearer ${restrictedKey}` });
const restrictedWhole = await inRequests({ Authorization: `Bearer ${restrictedKey}` }, { stopAfterAuth: false, count: 1000 });
const sessionLive = await inRequests(session);
const whole = await inRequests({ Authorization: `Bearer ${validKey}` }, { stopAfterAuth: false, count: 1000 });
const wholeSession = await inRequests(session, { stopAfterAuth: false, count: 1000 });
console.log('\nInside live HTTP requests (from before our routing middleware to after the host\'s auth), sequential');
printTable(
  ['credential', 'auth p50 µs', 'auth p99 µs', 'queries', 'whole todos:list p50 µs', 'queries', 'writes'],
  [
    ['Keyward key', keyLive.p50, keyLive.p99, keyLive.queries, whole.p50, whole.queries, `${whole.writes} in ${whole.count}`],
    [
      'key, all 3 restrictions',
      restrictedLive.p50,
      restrictedLive.p99,
      restrictedLive.queries,
      restrictedWhole.p50,
      restrictedWhole.queries,
      `${restrictedWhole.writes} in ${restrictedWhole.count}`,
    ],
    ['session token', sessionLive.p50, sessionLive.p99, sessionLive.queries, wholeSession.p50, wholeSession.queries, `${wholeSession.writes} in ${wholeSession.count}`],
  ],
);
const flushes = keyLive.flushes + whole.flushes;
console.log(`  (besides: ${flushes} once-a-minute lastUsedAt flush${flushes === 1 ? '' : 'es'} during the key's ${keyLive.count + whole.count} requests)`);

// Restriction checks alone, on the hot path: the cached record's address list, a rate-limit
// count in memory, the read-only flag. Timed directly, many times, from one allowed address.
const { verifyKey } = require(path.join(root, 'dist/server/verification/verify-key.js'));
const checkSamples = [];
for (let i = -5000; i < 50_000; i++) {
  const started = process.hrtime.bigint();
  const record = await verifyKey(restrictedKey, store, { address: '127.0.0.1' });
  keyAuthOptions.limiter.take(record.id, record.rateLimit);
  const elapsed = Number(process.hrtime.bigint() - started) / 1000;
  if (i >= 0) checkSamples.push(elapsed);
}
const plainSamples = [];
for (let i = -5000; i < 50_000; i++) {
  const started = process.hrtime.bigint();
  await verifyKey(validKey, store, { address: '127.0.0.1' });
  const elapsed = Number(process.hrtime.bigint() - started) / 1000;
  if (i >= 0) plainSamples.push(elapsed);
}
const withChecks = summarize(checkSamples);
const without = summarize(plainSamples);
const restrictionCost = Math.max(0, withChecks.p50 - without.p50);
console.log('\nRestriction checks (verification of a cached key, then the rate-limit count), called directly');
printTable(
  ['key', 'p50 µs', 'p99 µs'],
  [
    ['no restrictions', without.p50, without.p99],
    ['all 3 restrictions', withChecks.p50, withChecks.p99],
  ],
);

// A flood: 1,000 forged keys with valid checksums, from one address, over HTTP, at the default
// threshold (30 a minute), counting the database queries they cost.
keyAuthOptions.flood = new FailureFlood(30);
live.stopAfterAuth = true;
countQueries(true);
const floodStatuses = {};
for (let i = 0; i < 1000; i++) {
  const status = await get({ Authorization: `Bearer ${generateKey()}` });
  floodStatuses[status] = (floodStatuses[status] ?? 0) + 1;
}
countQueries(false);
const floodQueries = queries.all - queries.flushes;
console.log(`\nFlood: 1,000 forged, checksum-valid keys from one address: ${floodQueries} database queries; answers ${JSON.stringify(floodStatuses)}`);

const small = results[10].hit.p50;
const large = results[100_000].hit.p50;
console.log('\nTargets (auth step)');
target('≤ 20 µs p50 on a cache hit', Math.max(...STORED.map((n) => results[n].hit.p50)) <= 20, `${STORED.map((n) => `${results[n].hit.p50} µs`).join(' / ')} (10 / 10,000 / 100,000 keys)`);
target('≤ 1 database query on a miss', STORED.every((n) => results[n].miss.queries <= 1), `${STORED.map((n) => results[n].miss.queries).join(' / ')} per miss`);
target('100,000 keys within 1.2× of 10 keys', large <= small * 1.2 && results[100_000].miss.p50 <= results[10].miss.p50 * 1.2, `hit ${(large / small).toFixed(2)}×, miss ${(results[100_000].miss.p50 / results[10].miss.p50).toFixed(2)}×`);
target('no database write per request', whole.writes === 0 && keyLive.writes === 0, `${whole.writes + keyLive.writes} writes in ${whole.count + keyLive.count} requests with the key`);
target('restriction checks ≤ 5 µs p50, no added query or write', restrictionCost <= 5 && restrictedLive.queries === keyLive.queries && restrictedWhole.writes === 0, `${restrictionCost.toFixed(2)} µs; ${restrictedLive.queries} queries, ${restrictedWhole.writes} writes`);
target('a flood of 1,000 forged keys ≤ 31 database queries', floodQueries <= 31, `${floodQueries} queries`);
target('malformed keys refused with no database query', refusals['bad checksum'].queries === 0 && refusals['malformed (too short)'].queries === 0, `${refusals['bad checksum'].queries} / ${refusals['malformed (too short)'].queries} queries per refusal`);

agent.destroy();
server.close();
await app.destroy();
process.exit(0);
