// The auth step alone, in process, on one NocoBase app (bench-app.mjs) with 10, 10,000 and
// 100,000 keys stored: our routing middleware and the host's auth middleware, called directly
// in a loop, timed from entry to exit; refusals; the restriction checks; a flood of forged keys.
// The same step inside real requests is in-request.mjs. Both run by `npm run bench`.
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { benchApp, databaseLabel, fromDist, listen, queryCounter, root } from './bench-app.mjs';
import { printTable, summarize, target } from './report.mjs';

const require = createRequire(path.join(root, 'package.json'));
const compose = require('koa-compose');
const { routeKeyRequests } = fromDist('server/verification/route-key-requests.js');
const { FailureFlood } = fromDist('server/verification/failure-flood.js');
const { verifyKey } = fromDist('server/verification/verify-key.js');

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 20_000);
const STORED = [10, 10_000, 100_000];
// Every sample comes from one address: the refused-key samples measure a lookup each, not the
// flood guard's answer, which it would give after the 30th.
process.env.KEYWARD_MAX_FAILURES_PER_MINUTE = '1000000000';

const { app, plugin, keyModel, keyRow, validKey, restrictedKey, generateKey } = await benchApp();
const { store, keyAuthOptions } = plugin;
const counter = queryCounter(app);
const { queries } = counter;
const countQueries = (on) => counter.count(on);

let stored = 2;
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
console.log(`\nAuth step alone on ${databaseLabel()}, called directly (routing + the host's auth middleware, entry to exit), a valid key; best of 5 batches`);
printTable(['keys stored', 'hit p50 µs', 'hit p99 µs', 'queries', 'miss p50 µs', 'miss p99 µs', 'queries'], rows);

// A mistyped key (checksum off by one character), a malformed one, a made-up well-formed one.
const typo = validKey.slice(0, -1) + (validKey.endsWith('A') ? 'B' : 'A');
const refusals = {
  'bad checksum': await direct(typo),
  'malformed (too short)': await direct('keyward_abc'),
  'well-formed, unknown': await direct(generateKey(), { count: Math.min(SAMPLES, 2000) }),
};
console.log(`\nRefused keys on ${databaseLabel()}, called directly (100,000 keys stored)`);
printTable(
  ['key', 'refused', 'p50 µs', 'p99 µs', 'refusals/s, one core', 'queries'],
  Object.entries(refusals).map(([name, r]) => [name, `${r.refused}/${r.count}`, r.p50, r.p99, Math.round(1e6 / r.mean).toLocaleString('en-US'), r.queries]),
);

// Restriction checks alone, on the hot path: the cached record's address list, a rate-limit
// count in memory, the read-only flag. Timed directly, many times, from one allowed address.
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
// Each answered right after the host's auth middleware.
app.dataSourceManager.use(
  async (ctx) => {
    ctx.body = { ok: true };
  },
  { tag: 'bench-stop', after: 'auth', before: ['keyward-key-requests', 'setCurrentRole'] },
);
const { get, close } = await listen(app);
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
console.log(`\nTargets (auth step, called directly, ${databaseLabel()})`);
target('≤ 20 µs p50 on a cache hit, called directly', Math.max(...STORED.map((n) => results[n].hit.p50)) <= 20, `${STORED.map((n) => `${results[n].hit.p50} µs`).join(' / ')} (10 / 10,000 / 100,000 keys)`);
target('≤ 1 database query on a miss', STORED.every((n) => results[n].miss.queries <= 1), `${STORED.map((n) => results[n].miss.queries).join(' / ')} per miss`);
target('100,000 keys within 1.2× of 10 keys', large <= small * 1.2 && results[100_000].miss.p50 <= results[10].miss.p50 * 1.2, `hit ${(large / small).toFixed(2)}×, miss ${(results[100_000].miss.p50 / results[10].miss.p50).toFixed(2)}×`);
target('restriction checks ≤ 5 µs p50 (called directly)', restrictionCost <= 5, `${restrictionCost.toFixed(2)} µs`);
target('a flood of 1,000 forged keys ≤ 31 database queries', floodQueries <= 31, `${floodQueries} queries`);
target('malformed keys refused with no database query', refusals['bad checksum'].queries === 0 && refusals['malformed (too short)'].queries === 0, `${refusals['bad checksum'].queries} / ${refusals['malformed (too short)'].queries} queries per refusal`);

close();
await app.destroy();
process.exit(0);
