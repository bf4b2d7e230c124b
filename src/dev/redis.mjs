// A throwaway Redis server for tests and the cluster run: Debian's redis-server on a free
// loopback port, nothing persisted, stopped with the process that started it. Installed first
// when missing and this runs as root (as src/dev/postgres.mjs does for PostgreSQL).
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { freePort } from './free-port.mjs';

export async function startRedis({ port } = {}) {
  if (spawnSync('redis-server', ['--version']).error) {
    if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
      throw new Error('redis-server not found: install it first (apt-get install -y redis-server)');
    }
    for (const args of [['update', '-qq'], ['install', '-y', '-qq', 'redis-server']]) {
      const { status } = spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
      if (status !== 0) throw new Error(`apt-get ${args.join(' ')} failed`);
    }
  }
  port ??= await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const stop = () => server.exitCode === null && server.kill();
  process.once('exit', stop);
  for (let tries = 0; ; tries++) {
    if (await answersPing(port)) break;
    if (server.exitCode !== null || tries > 100) {
      stop();
      throw new Error(`redis-server did not start on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (server.exitCode !== null) return;
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill();
      await exited;
    },
  };
}

function answersPing(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}
