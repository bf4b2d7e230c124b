// Runs a real NocoBase 2.2.15 (the prebuilt app from @nocobase/app) with this plugin, on an
// embedded SQLite database. Shared by `npm start`, `npm run demo` and `npm run bench`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { name: packageName, version: packageVersion } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const nodeModules = path.join(root, 'node_modules');
const cli = path.join(nodeModules, '@nocobase/app/lib/index.js');

export const admin = {
  email: process.env.INIT_ROOT_EMAIL ?? 'admin@nocobase.com',
  password: process.env.INIT_ROOT_PASSWORD ?? 'admin123',
};

/** Ends the process with one line that says what is wrong, not a stack trace. */
export function fail(message) {
  console.error(`✖ ${message}`);
  process.exit(1);
}

export function step(message) {
  console.log(`› ${message}`);
}

function checkInstallAndBuild() {
  if (!fs.existsSync(cli)) {
    fail('NocoBase is not installed here: run `npm install` first.');
  }
  for (const file of ['dist/server/index.js', 'dist/client/index.js']) {
    if (!fs.existsSync(path.join(root, file))) {
      fail(`The plugin is not built (${file} is missing): run \`npm run build\` first.`);
    }
  }
}

/** The host loads a plugin from node_modules by its package name: point that name at this folder. */
function linkPlugin() {
  const link = path.join(nodeModules, packageName);
  fs.mkdirSync(path.dirname(link), { recursive: true });
  let current;
  try {
    current = fs.readlinkSync(link);
  } catch {
    current = undefined;
  }
  if (current !== root) {
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(root, link, 'dir');
  }
}

/** The app key stays the same across runs of one storage: it signs sessions (never our API keys). */
export function storageAppKey(storage) {
  const file = path.join(storage, '.app-key');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(storage, { recursive: true });
    fs.writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  }
  return fs.readFileSync(file, 'utf8').trim();
}

/**
 * The variables the NocoBase CLI normally sets, for an app on `storage` and `port` whose packages
 * are in `nodeModules` (this repository's, or a stock install's).
 */
export function nocobaseEnvironment({ storage, port, nodeModules }) {
  return {
    APP_ENV: 'production',
    APP_KEY: storageAppKey(storage),
    APP_PORT: String(port),
    API_BASE_PATH: '/api/',
    APP_PUBLIC_PATH: '/',
    DB_DIALECT: 'sqlite',
    DB_STORAGE: path.join(storage, 'db', 'nocobase.sqlite'),
    STORAGE_PATH: storage,
    NODE_MODULES_PATH: nodeModules,
    NODE_PATH: nodeModules,
    APP_PACKAGE_ROOT: path.join(nodeModules, '@nocobase/app'),
    PLUGIN_STATICS_PATH: '/static/plugins/',
    CDN_BASE_URL: process.env.CDN_BASE_URL ?? '',
    CACHE_DEFAULT_STORE: 'memory',
    WS_PATH: '/ws',
    INIT_ROOT_EMAIL: admin.email,
    INIT_ROOT_PASSWORD: admin.password,
    INIT_ROOT_USERNAME: process.env.INIT_ROOT_USERNAME ?? 'nocobase',
    LOGGER_TRANSPORT: 'console',
    LOGGER_LEVEL: process.env.LOGGER_LEVEL ?? 'error',
  };
}

/**
 * One NocoBase app on its own storage and port. With `keyward: false` it keeps the built-in
 * API keys plugin instead (the benchmark compares the two). `env` overrides the defaults above
 * (another database, the cache on Redis).
 */
export function nocobaseApp({ storage, port, keyward = true, quiet = false, env = {} }) {
  const baseUrl = `http://localhost:${port}`;
  const installedMarker = path.join(storage, '.keyward-installed');
  // A quiet app writes to a log of its own, whose end is shown when it fails to start.
  const logFile = path.join(storage, `nocobase-${port}.log`);
  const say = quiet ? () => {} : step;
  const failWithLog = (message) => {
    if (!quiet) fail(message);
    const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n') : '(no output)';
    fail(`${message}\nThe end of its log (${logFile}):\n${tail}`);
  };

  function checkStorage() {
    try {
      fs.mkdirSync(path.join(storage, 'db'), { recursive: true });
      const probe = path.join(storage, `.write-test-${process.pid}`);
      fs.writeFileSync(probe, '');
      fs.unlinkSync(probe);
    } catch (error) {
      fail(`Storage folder ${storage} is not writable (${error.code ?? error.message}): fix its permissions or set STORAGE_PATH.`);
    }
  }

  function portIsFree() {
    return new Promise((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, () => server.close(() => resolve(true)));
    });
  }

  /** The environment the NocoBase CLI normally sets up. */
  function environment() {
    return { ...process.env, ...nocobaseEnvironment({ storage, port, nodeModules }), ...env };
  }

  function spawnCli(args) {
    const log = quiet ? fs.openSync(logFile, 'a') : undefined;
    const stdio = log === undefined ? 'inherit' : ['ignore', log, log];
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: environment(), stdio });
    if (log !== undefined) fs.closeSync(log);
    return child;
  }

  function run(args) {
    return new Promise((resolve, reject) => {
      const child = spawnCli(args);
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`nocobase ${args.join(' ')} exited with ${code}${quiet ? ` (log: ${logFile})` : ''}`))));
    });
  }

  /**
   * First run: install NocoBase, add and enable this plugin (which switches the built-in API
   * keys plugin off and takes over its keys). Later runs with a newer version of the plugin run
   * NocoBase's upgrade, as the plugin manager does after an update, so new columns are added.
   */
  async function prepare() {
    checkInstallAndBuild();
    checkStorage();
    linkPlugin();
    if (fs.existsSync(installedMarker)) {
      if (keyward && fs.readFileSync(installedMarker, 'utf8') !== packageVersion) {
        say(`Upgrading to ${packageName} ${packageVersion}…`);
        await upgrade();
      }
      return;
    }
    say(`Installing NocoBase 2.2.15 into ${path.relative(process.cwd(), storage) || '.'} (first run, about a minute)…`);
    await run(['install', '-f']);
    if (keyward) {
      say(`Adding and enabling ${packageName}…`);
      await run(['pm', 'add', packageName]);
      await run(['pm', 'enable', packageName]);
      // `pm add` leaves an upgrade pending; it switches the preset's plugins back on, the
      // built-in API keys plugin included, and Keyward switches that one off again at its end.
      await upgrade();
    }
    fs.writeFileSync(installedMarker, packageVersion);
  }

  async function upgrade() {
    await run(['upgrade']);
    fs.rmSync(path.join(storage, '.upgrading'), { force: true });
    fs.writeFileSync(installedMarker, packageVersion);
  }

  async function isServing() {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/__health_check`);
      return res.ok;
    } catch {
      return false;
    }
  }

  /** Starts the app; resolves with the running server once it answers HTTP. */
  async function start() {
    if (!(await portIsFree())) {
      fail(`Port ${port} is already in use: stop what uses it, or pick another with APP_PORT=13001.`);
    }
    say(`Starting NocoBase on port ${port}…`);
    const child = spawnCli(['start']);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const started = Date.now();
    while (!(await isServing())) {
      if (child.exitCode !== null) {
        failWithLog(`NocoBase on port ${port} stopped while starting (exit code ${child.exitCode})${quiet ? '.' : '; see the lines above.'}`);
      }
      if (Date.now() - started > 180_000) {
        child.kill('SIGTERM');
        failWithLog(`NocoBase on port ${port} did not answer within 3 minutes.`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return { child, exited };
  }

  return { storage, port, baseUrl, prepare, isServing, start };
}

export async function stopServer({ child, exited }) {
  if (child.exitCode === null) {
    child.kill('SIGTERM');
  }
  await exited;
}

/** The app `npm start` and `npm run demo` use: ./storage (or STORAGE_PATH), port 13000 (or APP_PORT). */
export const defaultApp = nocobaseApp({
  storage: path.resolve(root, process.env.STORAGE_PATH ?? 'storage'),
  port: Number(process.env.APP_PORT ?? 13000),
});
