// `npm run bench`: a Keyward key against a session token and the built-in plugin's key under
// load, then the auth step alone in process (called directly), then the auth step inside real
// requests (the authenticator's check as the host awaits it). Prints figures and states each
// target as met or not.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { runLoad } from './load.mjs';
import { runInRequest } from './in-request.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const started = Date.now();
const cpus = os.cpus();
console.log(`Keyward benchmark — ${new Date().toISOString()}`);
console.log(`Machine: ${cpus.length} cores (${cpus[0]?.model.trim()}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}; Node ${process.version}; NocoBase 2.2.15 on SQLite; load average ${os.loadavg()[0].toFixed(1)}\n`);

await runLoad();

// Its own process: a fresh heap, and nothing left over from the load run.
console.log('\n› Auth step microbenchmark…');
const child = spawn(process.execPath, ['--expose-gc', path.join(here, 'auth-step.mjs')], { stdio: ['ignore', 'inherit', 'pipe'] });
// The host's sandbox (SES) lists every intrinsic it hardens on stderr: noise here.
createInterface({ input: child.stderr }).on('line', (line) => {
  if (!/Removing intrinsics|About to overwrite|^\s*$/.test(line)) console.error(line);
});
const code = await new Promise((resolve) => child.once('exit', resolve));

// Fresh processes again, one per run: the definition starts cold.
console.log('\n› Auth step inside real requests…');
await runInRequest();
console.log(`\nDone in ${Math.round((Date.now() - started) / 1000)} s.`);
process.exit(code ?? 1);
