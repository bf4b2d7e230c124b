// `npm run bench`: a Keyward key against a session token and the built-in plugin's key under
// load, then the auth step alone in process (called directly), then the auth step inside real
// requests (the authenticator's check as the host awaits it); the last two again on PostgreSQL
// (cache misses, refused keys and whole requests are where the database shows). Prints figures
// and states each target as met or not.
//
// PostgreSQL is the server at DB_HOST:DB_PORT (see src/dev/postgres.mjs: as root, Debian's
// `postgresql` is installed and started when missing); BENCH_POSTGRES=0 skips that part.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePostgres } from '../postgres.mjs';
import { runLoad } from './load.mjs';
import { runInRequest } from './in-request.mjs';
import { relayErrors } from './report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const started = Date.now();
const cpus = os.cpus();
console.log(`Keyward benchmark — ${new Date().toISOString()}`);
console.log(`Machine: ${cpus.length} cores (${cpus[0]?.model.trim()}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}; Node ${process.version}; NocoBase 2.2.15; load average ${os.loadavg()[0].toFixed(1)}\n`);

/** auth-step.mjs in its own process (a fresh heap, nothing left over from the run before); its exit code. */
async function authStep(env = {}) {
  const child = spawn(process.execPath, ['--expose-gc', path.join(here, 'auth-step.mjs')], {
    stdio: ['ignore', 'inherit', 'pipe'],
    env: { ...process.env, ...env },
  });
  relayErrors(child);
  return new Promise((resolve) => child.once('exit', resolve));
}

await runLoad();

console.log('\n› Auth step microbenchmark, SQLite…');
let code = await authStep();

// Fresh processes again, one per run: the definition starts cold.
console.log('\n› Auth step inside real requests, SQLite…');
await runInRequest();

if (process.env.BENCH_POSTGRES !== '0') {
  let postgres;
  try {
    postgres = await ensurePostgres({ database: 'keyward_bench' });
  } catch (error) {
    console.log(`\n› PostgreSQL figures skipped: ${error.message}`);
  }
  if (postgres) {
    console.log(`\n› Auth step microbenchmark, PostgreSQL at ${postgres.DB_HOST}:${postgres.DB_PORT}…`);
    code ||= await authStep(postgres);
    console.log('\n› Auth step inside real requests, PostgreSQL…');
    await runInRequest({ env: postgres });
  }
}
console.log(`\nDone in ${Math.round((Date.now() - started) / 1000)} s.`);
process.exit(code ?? 1);
