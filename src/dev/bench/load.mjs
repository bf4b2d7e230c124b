// GET /api/todos:list under load on two real NocoBase apps with identical data, one with Keyward
// and one with the built-in API keys plugin: a session token, a built-in key and a Keyward key,
// alternating, with autocannon on 127.0.0.1.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../free-port.mjs';
import { nocobaseApp, stopServer } from '../nocobase.mjs';
import { createKey, KEYWARD_SNIPPET, ROLE, setUpTodos, signIn, USER } from '../todos-demo.mjs';
import { median, printTable, target } from './report.mjs';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = 10;
const TITLES = Array.from({ length: 100 }, (_, i) => `to-do ${i + 1}`);
const BUILT_IN_SNIPPET = 'pm.api-keys.configuration';

function load(url, headers, seconds) {
  return autocannon({ url, headers, connections: CONNECTIONS, duration: seconds });
}

/** Boots both apps, loads them, stops them; prints the table and the throughput targets. */
export async function runLoad() {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-bench-'));
  const keywardApp = nocobaseApp({ storage: path.join(scratch, 'keyward'), port: await freePort(), quiet: true });
  const builtInApp = nocobaseApp({ storage: path.join(scratch, 'built-in'), port: await freePort(), keyward: false, quiet: true });
  const servers = [];
  try {
    console.log('› Installing and starting two NocoBase apps (Keyward; built-in API keys)…');
    await Promise.all([keywardApp.prepare(), builtInApp.prepare()]);
    servers.push(...(await Promise.all([keywardApp.start(), builtInApp.start()])));
    await setUpTodos(keywardApp.baseUrl, { titles: TITLES, snippets: [KEYWARD_SNIPPET] });
    await setUpTodos(builtInApp.baseUrl, { titles: TITLES, snippets: [BUILT_IN_SNIPPET] });

    const session = await signIn(keywardApp.baseUrl, USER.email, USER.password);
    const builtInKey = await createKey(builtInApp.baseUrl, await signIn(builtInApp.baseUrl, USER.email, USER.password), ROLE.name, 'bench');
    const keywardKey = await createKey(keywardApp.baseUrl, session, ROLE.name, 'bench');
    const url = (app) => `http://127.0.0.1:${app.port}/api/todos:list`;
    const contenders = [
      { name: '1. session token', url: url(keywardApp), headers: { Authorization: `Bearer ${session}`, 'X-Authenticator': 'basic' } },
      { name: '2. built-in key', url: url(builtInApp), headers: { Authorization: `Bearer ${builtInKey}` } },
      { name: '3. Keyward key', url: url(keywardApp), headers: { Authorization: `Bearer ${keywardKey}` } },
    ];
    for (const contender of contenders) {
      const res = await fetch(contender.url, { headers: contender.headers });
      const body = await res.json();
      if (res.status !== 200 || body.meta?.count !== TITLES.length) {
        throw new Error(`${contender.name} cannot list the to-dos (${res.status}): ${JSON.stringify(body).slice(0, 200)}`);
      }
      contender.rounds = [];
    }

    console.log(`› Warming up, then ${ROUNDS} rounds of ${SECONDS} s per contender, ${CONNECTIONS} connections, alternating…`);
    for (const contender of contenders) await load(contender.url, contender.headers, 3);
    for (let round = 0; round < ROUNDS; round++) {
      // A different contender goes first each round, so none always runs on a cooler machine.
      for (let i = 0; i < contenders.length; i++) {
        const contender = contenders[(round + i) % contenders.length];
        contender.rounds.push(await load(contender.url, contender.headers, SECONDS));
      }
    }

    const figures = contenders.map(({ name, rounds }) => ({
      name,
      rps: median(rounds.map((r) => r.requests.average)),
      p50: median(rounds.map((r) => r.latency.p50)),
      p99: median(rounds.map((r) => r.latency.p99)),
      non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
      errors: rounds.reduce((sum, r) => sum + r.errors + r.timeouts, 0),
      perRound: rounds.map((r) => Math.round(r.requests.average)).join(' / '),
    }));
    console.log(`\nGET /api/todos:list, 100 to-dos (median of ${ROUNDS} rounds)`);
    printTable(
      ['credential', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'req/s per round'],
      figures.map((f) => [f.name, Math.round(f.rps), f.p50, f.p99, f.non2xx, f.errors, f.perRound]),
    );
    const [sessionFig, builtInFig, keywardFig] = figures;
    const vsSession = keywardFig.rps / sessionFig.rps;
    const vsBuiltIn = keywardFig.rps / builtInFig.rps;
    console.log(`  ratio 3/1 (Keyward key / session token): ${vsSession.toFixed(2)}×`);
    console.log(`  ratio 3/2 (Keyward key / built-in key):  ${vsBuiltIn.toFixed(2)}×`);
    console.log('\nTargets (throughput)');
    target('≥ 1.1× the session token', vsSession >= 1.1, `${vsSession.toFixed(2)}×`);
    target('≥ 1.1× the built-in key', vsBuiltIn >= 1.1, `${vsBuiltIn.toFixed(2)}×`);
    target('p99 no worse than either', keywardFig.p99 <= Math.min(sessionFig.p99, builtInFig.p99), `${keywardFig.p99} ms vs ${sessionFig.p99} / ${builtInFig.p99} ms`);
    target('every request answered 2xx', figures.every((f) => f.non2xx === 0 && f.errors === 0), `${figures.map((f) => f.non2xx + f.errors).join(' / ')} failed`);
  } finally {
    await Promise.all(servers.map(stopServer));
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
