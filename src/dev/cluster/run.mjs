// `npm run test:cluster`: two NocoBase app processes, as `npm start` runs one, on ports 13000 and
// 13001, sharing one PostgreSQL database and one Redis (the cache store, and pub/sub through
// Keyward's opt-in adapter). Checks over HTTP, under load on both nodes at once, that a key
// revoked on one node is refused on the other within a second, that no answer is wrong or a 5xx,
// and that usage counts, lastUsedAt and a rate limit hold across nodes: for the keys of the load
// (what both nodes counted against what the client was answered) and, idle, for a key asked for
// on each node in turn. Then the same revocations with no pub/sub adapter at all: refused
// everywhere within 5 s. Prints a summary; exits 1 on a failed check.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { admin, nocobaseApp, root, stopServer } from '../nocobase.mjs';
import { ensurePostgres } from '../postgres.mjs';
import { startRedis } from '../redis.mjs';
import { call, ROLE, setUpTodos, signIn, USER } from '../todos-demo.mjs';
import { median, printTable } from '../bench/report.mjs';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');
const { generateKey } = require(path.join(root, 'dist/server/verification/key-format.js'));
const { ErrorCode } = require(path.join(root, 'dist/constants.js'));

const PORTS = [13000, 13001];
const SECONDS = Number(process.env.CLUSTER_SECONDS ?? 60);
const CONNECTIONS = Number(process.env.CLUSTER_CONNECTIONS ?? 50);
const REVOCATIONS = Number(process.env.CLUSTER_REVOCATIONS ?? 24);
/** A 200 for a revoked key answered later than this after the change is a wrong answer. */
const REVOKED_WITHIN_MS = 1000;
const REVOKED_WITHOUT_PUBSUB_MS = 5000;
const LIST = '/api/todos:list?pageSize=5';

const log = (line) => console.log(`› ${line}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const failures = [];
function check(ok, message) {
  console.log(`  ${ok ? '✔' : '✖'} ${message}`);
  if (!ok) failures.push(message);
}
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
};

/** The refusal code each key last got. */
const lastCode = new Map();

/**
 * Every request with a key, as the client saw it: sent, answered, answers by status or code,
 * the last 200's send time. Compared with what both nodes counted once they have written it.
 */
const seen = new Map();
const seenOf = (key) => {
  let entry = seen.get(key);
  if (!entry) seen.set(key, (entry = { sent: 0, answered: 0, ok: 0, codes: {}, lastOkSent: 0 }));
  return entry;
};
function answered(key, status, body, sentAt) {
  const entry = seenOf(key);
  entry.answered++;
  if (status === 200) {
    entry.ok++;
    entry.lastOkSent = Math.max(entry.lastOkSent, sentAt);
    return;
  }
  let code = String(status);
  try {
    code = (typeof body === 'string' ? JSON.parse(body) : body).errors[0].code ?? code;
  } catch {
    // Not our error shape: counted by its status.
  }
  entry.codes[code] = (entry.codes[code] ?? 0) + 1;
  lastCode.set(key, code);
}

/** GET todos:list with a key; the status. */
async function withKey(node, key) {
  const sentAt = Date.now();
  seenOf(key).sent++;
  const res = await fetch(`${node.baseUrl}${LIST}`, { headers: { Authorization: `Bearer ${key}` } });
  answered(key, res.status, await res.json().catch(() => ({})), sentAt);
  return res.status;
}

// --- The servers: PostgreSQL and Redis, then two nodes on one storage, one database, one cache.
const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-cluster-'));
const database = await ensurePostgres({ database: 'keyward_cluster', log });
const redis = await startRedis();
log(`PostgreSQL ${database.DB_HOST}:${database.DB_PORT}/${database.DB_DATABASE}; Redis ${redis.url}; storage ${storage}`);

function nodes({ pubSub }) {
  return PORTS.map((port) =>
    nocobaseApp({
      storage,
      port,
      quiet: true,
      env: {
        ...database,
        CACHE_DEFAULT_STORE: 'redis',
        CACHE_REDIS_URL: redis.url,
        KEYWARD_PUBSUB_REDIS_URL: pubSub ? redis.url : '',
        // Every request of this run comes from 127.0.0.1: the refused keys in the mix would
        // otherwise trip the per-address flood guard for the valid ones too.
        KEYWARD_MAX_FAILURES_PER_MINUTE: '1000000000',
        // Each node its own gateway socket: they share the storage folder.
        SOCKET_PATH: path.join(storage, `gateway-${port}.sock`),
      },
    }),
  );
}

let running = [];
/**
 * One after the other: a node's start seeds the host's rows (plugin-ai's AI employees among
 * them) when they are missing, and two nodes seeding at once make one fail on a unique index
 * and never serve. A cluster of open-source NocoBase, without the commercial lock adapter, is
 * started the same way.
 */
async function startAll(apps) {
  for (const app of apps) running.push(await app.start());
}
/** One after the other, in start order: node one writes what it counted first, node two last. */
async function stopAll() {
  for (const server of running) await stopServer(server);
  running = [];
}
process.on('exit', () => running.forEach(({ child }) => child.exitCode === null && child.kill('SIGKILL')));

const startedAt = Date.now();
let [one, two] = nodes({ pubSub: true });
log('Installing NocoBase 2.2.15 on PostgreSQL with Keyward…');
await one.prepare();
log('Starting two nodes, cache and pub/sub on Redis…');
await startAll([one, two]);

// --- The data: the To-Dos walkthrough, keys of every kind.
await setUpTodos(one.baseUrl);
const adminToken = await signIn(one.baseUrl, admin.email, admin.password);
const asAdmin = (node, action, options) => call(node.baseUrl, adminToken, action, options);
const userToken = await signIn(one.baseUrl, USER.email, USER.password);
const asUser = (node, action, options) => call(node.baseUrl, userToken, action, options);
const newKey = async (node, values = {}, token = userToken) =>
  call(node.baseUrl, token, 'apiKeys:create', {
    method: 'POST',
    body: { name: `cluster ${Math.random().toString(36).slice(2)}`, role: { name: ROLE.name }, expiresIn: '1d', ...values },
  });

/** Owners for role revocations: removing the role from one kills that owner's keys only. */
async function ownerWithKey(index, node) {
  const username = `owner_${index}_${Date.now()}`;
  const password = 'owner-password-1';
  const { id } = await asAdmin(node, 'users:create', { method: 'POST', body: { username, password, roles: [ROLE.name] } });
  const key = await newKey(node, {}, await signIn(node.baseUrl, username, password));
  return { ownerId: id, ...key };
}

/** Revocation targets, each revoked once by one of three kinds of change. */
async function targets(count, node) {
  const kinds = ['delete', 'disable', 'role'];
  const made = [];
  for (let i = 0; i < count; i++) {
    const kind = kinds[i % kinds.length];
    made.push({ kind, ...(kind === 'role' ? await ownerWithKey(i, node) : await newKey(node)) });
  }
  return made;
}

/** The change; resolves when it is committed (its answer arrived). */
async function revoke(target, node) {
  if (target.kind === 'delete') {
    await asUser(node, 'apiKeys:destroy', { method: 'POST', params: { filterByTk: String(target.id) } });
  } else if (target.kind === 'disable') {
    await asUser(node, 'apiKeys:update', { method: 'POST', params: { filterByTk: String(target.id) }, body: { enabled: false } });
  } else {
    await asAdmin(node, `roles/${ROLE.name}/users:remove`, { method: 'POST', body: [target.ownerId] });
  }
}

/**
 * Revokes each target on one node at its own time (`start` + i × `spacing`, by the clock: the
 * changes do not wait for one another, so under load they all fall within it), then probes the
 * other node every 25 ms without waiting for answers. Each delay is from the change's answer (it
 * is committed then; under load the change itself waits in its node's queue) to the first
 * refusal: to the send time of the earliest probe refused (the refusal came no earlier) and to
 * the earliest answer refusing (it came no later; under load a probe waits in the node's queue).
 * The check holds the later one to the limit.
 */
async function revokeAll(list, { start, spacing, limitMs }) {
  const delays = { sent: [], answered: [], committed: [] };
  const revokeOne = async (target, i) => {
    await sleep(start + i * spacing - Date.now());
    const [changer, observer] = i % 2 ? [two, one] : [one, two];
    if ((await withKey(observer, target.token)) !== 200) throw new Error('a key about to be revoked is refused already');
    const entry = (revoked[target.token] = { sent: Date.now() });
    await revoke(target, changer);
    entry.done = Date.now();
    delays.committed.push(entry.done);
    const probes = [];
    let refusedSent = Infinity;
    let refusedAnswered = Infinity;
    while (refusedSent === Infinity && Date.now() - entry.done < limitMs + 5000) {
      const sentAt = Date.now();
      probes.push(
        withKey(observer, target.token).then((status) => {
          const answeredAt = Date.now();
          judge(target.token, status, sentAt, answeredAt, limitMs);
          if (status !== 200) {
            refusedSent = Math.min(refusedSent, sentAt);
            refusedAnswered = Math.min(refusedAnswered, answeredAt);
            refusals.add(`${target.kind}: ${status} ${lastCode.get(target.token)}`);
          }
        }),
      );
      await sleep(25);
    }
    await Promise.all(probes);
    // Refused once, refused for good: a few more asks, any 200 among them is a wrong answer.
    for (let again = 0; again < 5; again++) {
      await sleep(100);
      const status = await withKey(observer, target.token);
      if (status === 200) {
        tally.wrong++;
        tally.wrongServed++;
      }
    }
    delays.sent.push(refusedSent - entry.done);
    delays.answered.push(refusedAnswered - entry.done);
  };
  await Promise.all(list.map(revokeOne));
  return delays;
}
const refusals = new Set();

// --- Phase 1: load on both nodes, revocations in the middle of it.
log('Creating keys: valid, disabled, unknown, and revocation targets…');
const valid = await Promise.all([0, 1, 2, 3].map(() => newKey(one)));
const disabled = await newKey(one);
await asUser(one, 'apiKeys:update', { method: 'POST', params: { filterByTk: String(disabled.id) }, body: { enabled: false } });
const unknown = [generateKey(), generateKey()];
// Asked for as often as the rest: mostly 429s, and LIMIT answered per window across both nodes.
const LIMIT = { limit: 50, windowSeconds: 10 };
const limitedUnderLoad = await newKey(one, { rateLimit: LIMIT });
const revocable = await targets(REVOCATIONS, one);
for (const node of [one, two]) {
  for (const { token } of [...valid, ...revocable]) {
    if ((await withKey(node, token)) !== 200) throw new Error(`a new key is refused on port ${node.port}`);
  }
}

const kindOf = new Map([
  ...valid.map(({ token }) => [token, 'valid']),
  [disabled.token, 'refused'],
  ...unknown.map((token) => [token, 'refused']),
  [limitedUnderLoad.token, 'limited'],
  ...revocable.map(({ token }) => [token, 'revocable']),
]);
const tally = { wrong: 0, wrongServed: 0, wrongRefused: 0, fivexx: 0, answers: 0 };
/** Each revoked key's change: when it was sent, when it was committed. */
const revoked = {};

/** Whether an answer is right, given when the request was sent and when its key was revoked. */
function judge(token, status, sentAt, answeredAt, revokedWithinMs = REVOKED_WITHIN_MS) {
  tally.answers++;
  if (status >= 500) tally.fivexx++;
  const kind = kindOf.get(token);
  const change = revoked[token];
  let wrong = false;
  if (kind === 'valid') wrong = status !== 200;
  else if (kind === 'refused') wrong = status === 200;
  else if (kind === 'limited') wrong = status !== 200 && status !== 429;
  else if (status === 200) wrong = change?.done !== undefined && answeredAt > change.done + revokedWithinMs;
  else wrong = !change || answeredAt < change.sent;
  if (wrong) {
    tally.wrong++;
    status === 200 ? tally.wrongServed++ : tally.wrongRefused++;
  }
}
function load(node) {
  const requests = [...kindOf.keys()].map((token) => ({
    method: 'GET',
    path: LIST,
    headers: { authorization: `Bearer ${token}` },
    setupRequest: (request, context) => {
      context.sentAt = Date.now();
      seenOf(token).sent++;
      return request;
    },
    onResponse: (status, body, context) => {
      answered(token, status, body, context.sentAt);
      judge(token, status, context.sentAt, Date.now());
    },
  }));
  return autocannon({ url: node.baseUrl, connections: CONNECTIONS, duration: SECONDS, requests });
}

/** Subscriptions to Keyward's channel on the Redis: its adapter is what carries the messages. */
async function keywardSubscriptions() {
  const { createClient } = createRequire(require.resolve('@nocobase/server'))('redis');
  const client = createClient({ url: redis.url });
  await client.connect();
  const channels = await client.sendCommand(['PUBSUB', 'CHANNELS', '*plugin-api-keys.invalidate']);
  const counts = channels.length ? await client.sendCommand(['PUBSUB', 'NUMSUB', ...channels]) : [];
  await client.close();
  return counts.filter((_, i) => i % 2 === 1).reduce((sum, n) => sum + Number(n), 0);
}
const subscribed = { withAdapter: await keywardSubscriptions(), without: -1 };

log(`Loading both nodes for ${SECONDS} s (${CONNECTIONS} connections each), revoking ${REVOCATIONS} keys meanwhile…`);
const loadStarted = Date.now();
const loads = Promise.all([load(one), load(two)]);
// From 5 s in to 10 s before the end, evenly: every change is made and committed under load.
const delays = await revokeAll(revocable, {
  start: loadStarted + 5000,
  spacing: ((SECONDS - 15) * 1000) / REVOCATIONS,
  limitMs: REVOKED_WITHIN_MS,
});
const [loadOne, loadTwo] = await loads;
const loadEnded = Date.now();

// --- Counted across nodes: usage, lastUsedAt, a rate limit.
log('Usage and lastUsedAt: 200 requests with one key, alternating nodes…');
const counted = await newKey(one);
const countedDisabledAfter = 200;
for (let i = 0; i < countedDisabledAfter; i++) {
  if ((await withKey(i % 2 ? two : one, counted.token)) !== 200) throw new Error('the counted key was refused');
}
// The last use is on node one, a second after node two's: node two, stopped last, writes its
// older use after node one's, which must not move lastUsedAt back.
await sleep(1100);
if ((await withKey(one, counted.token)) !== 200) throw new Error('the counted key was refused');
const lastUseAt = Date.now();
await asUser(one, 'apiKeys:update', { method: 'POST', params: { filterByTk: String(counted.id) }, body: { enabled: false } });
await sleep(REVOKED_WITHIN_MS);
let refusedDisabled = 0;
for (let i = 0; i < 20; i++) refusedDisabled += (await withKey(i % 2 ? two : one, counted.token)) === 401 ? 1 : 0;

log('Rate limit of 50 per 10 s, 150 requests at once across both nodes…');
const limited = await newKey(one, { rateLimit: { limit: 50, windowSeconds: 10 } });
// Start just after a window opens (windows are aligned on the clock), so all fall in one.
await sleep(10_000 - (Date.now() % 10_000) + 200);
const limitStatuses = await Promise.all(Array.from({ length: 150 }, (_, i) => withKey(i % 2 ? two : one, limited.token)));

log('Stopping both nodes (each writes what it counted), starting them again without any pub/sub adapter…');
await stopAll();
[one, two] = nodes({ pubSub: false });
await startAll([one, two]);
/** What both nodes counted for a key, as apiKeys:usage answers: `ok`, or a refusal's code; and meta. */
async function usageFor(id) {
  const { data, meta } = await (
    await fetch(`${one.baseUrl}/api/apiKeys:usage?filterByTk=${id}&days=1`, { headers: { Authorization: `Bearer ${userToken}` } })
  ).json();
  const of = (key) => data.reduce((sum, day) => sum + (key === 'ok' ? day.ok : day.refusedBy?.[key] ?? 0), 0);
  return { of, refused: data.reduce((sum, day) => sum + day.refused, 0), meta };
}
const usage = await usageFor(counted.id);
const usageOf = usage.of;
// Under load: the nodes' counts against the client's. A request sent and never answered (cut at
// the load's end) may or may not have been counted, so each count lies between what was answered
// and that plus what was not.
const underLoad = await Promise.all(
  [...valid, limitedUnderLoad].map(async ({ id, token }) => ({ token, usage: await usageFor(id), seen: seenOf(token) })),
);
const within = (value, low, unanswered) => value >= low && value <= low + unanswered;
const unansweredOf = ({ sent, answered: got }) => sent - got;
const validCounts = underLoad.slice(0, valid.length);
const limitedCounts = underLoad[valid.length];
const windowsTouched = Math.floor(loadEnded / (LIMIT.windowSeconds * 1000)) - Math.floor(loadStarted / (LIMIT.windowSeconds * 1000)) + 1;

// --- Phase 2: no pub/sub adapter; the shared cache's change counter carries revocations.
subscribed.without = await keywardSubscriptions();
log('Revoking 6 keys with no pub/sub adapter…');
const revocableLater = await targets(6, one);
for (const node of [one, two]) for (const { token } of revocableLater) await withKey(node, token);
revocableLater.forEach(({ token }) => kindOf.set(token, 'revocable'));
const delaysWithout = await revokeAll(revocableLater, { start: Date.now() + 1500, spacing: 1500, limitMs: REVOKED_WITHOUT_PUBSUB_MS });
await stopAll();

// --- The summary.
const perNode = [
  ['13000', loadOne],
  ['13001', loadTwo],
];
console.log(`\nKeyward cluster run — ${new Date().toISOString()}`);
console.log(`Machine: ${os.cpus().length} cores (${os.cpus()[0].model.trim()}), ${Math.round(os.totalmem() / 2 ** 30)} GiB; Node ${process.version}; NocoBase 2.2.15 on PostgreSQL, cache and pub/sub on Redis`);
console.log(`\nGET ${LIST}, ${SECONDS} s, ${CONNECTIONS} connections on each node at once; ${kindOf.size - revocableLater.length} keys in turn`);
printTable(
  ['node', 'req/s', 'p50 ms', 'p99 ms', 'requests', '2xx', 'non-2xx'],
  perNode.map(([port, result]) => [port, Math.round(result.requests.average), result.latency.p50, result.latency.p99, result.requests.total, result['2xx'], result.non2xx]),
);
console.log(
  `\nRevocation on one node, first refusal on the other (${delays.answered.length} changes: delete, disable, role removed); ms from the change's answer to the first refusal's answer (to its request's send time)`,
);
/** p50, p99, max: to the refusal's answer, its request's send time in brackets. */
const figures = ({ answered: a, sent }) => [
  `${median(a)} (${median(sent)})`,
  `${percentile(a, 99)} (${percentile(sent, 99)})`,
  `${Math.max(...a)} (${Math.max(...sent)})`,
];
printTable(
  ['pub/sub', 'p50 ms', 'p99 ms', 'max ms', 'changes'],
  [
    ['Keyward Redis adapter, under load', ...figures(delays), delays.answered.length],
    ['none (cache counter), idle', ...figures(delaysWithout), delaysWithout.answered.length],
  ],
);
console.log(`  refusals seen: ${[...refusals].sort().join('; ')}`);
console.log('\nChecks');
check(tally.fivexx === 0, `no 5xx answer: ${tally.fivexx} in ${tally.answers}`);
const lost = loadOne.errors + loadOne.timeouts + loadTwo.errors + loadTwo.timeouts;
check(lost === 0, `no request lost (connection errors, timeouts): ${lost}`);
check(subscribed.withAdapter > 0 && subscribed.without === 0, `Keyward's Redis adapter carried phase one (${subscribed.withAdapter} subscriptions), none phase two (${subscribed.without})`);
check(
  tally.wrong === 0,
  `no wrong answer: ${tally.wrong} (${tally.wrongRefused} valid keys refused, ${tally.wrongServed} refused keys served) in ${tally.answers}`,
);
check(
  Math.max(...delays.answered) <= REVOKED_WITHIN_MS,
  `revoked within ${REVOKED_WITHIN_MS} ms on the other node under load: max ${Math.max(...delays.answered)} ms to the refusal's answer`,
);
check(
  Math.max(...delaysWithout.answered) <= REVOKED_WITHOUT_PUBSUB_MS,
  `revoked within ${REVOKED_WITHOUT_PUBSUB_MS} ms with no pub/sub adapter: max ${Math.max(...delaysWithout.answered)} ms to the refusal's answer`,
);
check(usageOf('ok') === countedDisabledAfter + 1, `usage counts both nodes' answers: ${usageOf('ok')} of ${countedDisabledAfter + 1}`);
check(refusedDisabled === 20, `a key disabled on one node is refused on both: ${refusedDisabled} of 20`);
check(
  usageOf('API_KEY_DISABLED') === refusedDisabled,
  `usage counts both nodes' refusals: ${usageOf('API_KEY_DISABLED')} of ${refusedDisabled} API_KEY_DISABLED`,
);
const { lastUsedAt, lastUsedIp } = usage.meta;
const behind = lastUseAt - Date.parse(lastUsedAt);
check(
  behind >= 0 && behind < 1000 && lastUsedIp === '127.0.0.1',
  `lastUsedAt is the last use on either node: ${lastUsedAt} from ${lastUsedIp} (last request answered ${new Date(lastUseAt).toISOString()})`,
);
const allowed = limitStatuses.filter((status) => status === 200).length;
const limitedOut = limitStatuses.filter((status) => status === 429).length;
check(allowed === 50 && limitedOut === 100, `a limit of 50 is 50 across both nodes: ${allowed} answered, ${limitedOut} × 429`);
const sum = (list, pick) => list.reduce((total, item) => total + pick(item), 0);
check(
  validCounts.every(({ usage: { of, refused }, seen }) => within(of('ok'), seen.ok, unansweredOf(seen)) && refused === 0),
  `under load, usage counts each valid key's answers: ${sum(validCounts, ({ usage: { of } }) => of('ok'))} counted, ${sum(validCounts, ({ seen }) => seen.ok)} answered (+ ${sum(validCounts, ({ seen }) => unansweredOf(seen))} cut at the end), 0 refused`,
);
check(
  validCounts.every(({ usage: { meta }, seen }) => Date.parse(meta.lastUsedAt) >= seen.lastOkSent && Date.parse(meta.lastUsedAt) <= loadEnded + 1000),
  `under load, each valid key's lastUsedAt is its last use on either node: ${validCounts.map(({ usage: { meta }, seen }) => Date.parse(meta.lastUsedAt) - seen.lastOkSent).join(' / ')} ms after the last answered request was sent`,
);
const limitedSeen = limitedCounts.seen;
const limitedOk = limitedCounts.usage.of('ok');
const limitedRefused = limitedCounts.usage.of(ErrorCode.RATE_LIMITED);
check(
  limitedSeen.ok <= LIMIT.limit * windowsTouched && limitedSeen.ok >= LIMIT.limit * (windowsTouched - 2),
  `under load, a limit of ${LIMIT.limit} per ${LIMIT.windowSeconds} s holds across both nodes: ${limitedSeen.ok} answered in ${windowsTouched} windows (at most ${LIMIT.limit * windowsTouched}), ${limitedSeen.codes[ErrorCode.RATE_LIMITED] ?? 0} × 429`,
);
check(
  within(limitedOk, limitedSeen.ok, unansweredOf(limitedSeen)) &&
    within(limitedRefused, limitedSeen.codes[ErrorCode.RATE_LIMITED] ?? 0, unansweredOf(limitedSeen)),
  `under load, usage counts the limited key's answers and refusals: ${limitedOk} and ${limitedRefused} counted, ${limitedSeen.ok} and ${limitedSeen.codes[ErrorCode.RATE_LIMITED] ?? 0} answered (+ ${unansweredOf(limitedSeen)} cut at the end)`,
);
check(
  delays.committed.every((at) => at < loadEnded),
  `every revocation was made under load: ${delays.committed.filter((at) => at < loadEnded).length} of ${delays.committed.length} committed before the load ended`,
);
console.log(`\nDone in ${Math.round((Date.now() - startedAt) / 1000)} s.`);

await redis.stop();
fs.rmSync(storage, { recursive: true, force: true });
process.exit(failures.length ? 1 : 0);
