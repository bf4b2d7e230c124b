// `npm run test:install`: installs the packed plugin into a stock NocoBase the way a user does
// (upload in the plugin manager, then enable), and checks the handover from the built-in
// "Auth: API keys" plugin, before and after a restart of the app.
//
// STOCK_NOCOBASE_DIR=<folder> keeps the stock NocoBase install (about 3 minutes of npm install)
// there between runs; by default it goes to a temporary folder, removed at the end.
// SCREENSHOTS=<folder> also takes the README's install pictures on the way (install-upload.png,
// install-enabled.png, install-handover.png): `SCREENSHOTS=src/docs npm run test:install`.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { freePort } from './free-port.mjs';
import { admin, nocobaseEnvironment, root, step } from './nocobase.mjs';
import { call, createKey, ROLE, setUpTodos, signIn } from './todos-demo.mjs';

const PLUGIN = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const BUILT_IN = 'api-keys';
const BUILT_IN_KEY_NAME = 'made by the built-in plugin';
const KEYWARD_PAGE = '/admin/settings/keyward-api-keys';
// Only Keyward's page says this (the built-in's page has the same title and button).
const KEYWARD_PAGE_TEXT = 'Each key acts as you, limited to the role you pick.';
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const screenshotDir = process.env.SCREENSHOTS ? path.resolve(process.env.SCREENSHOTS) : undefined;
const SCREENSHOT_MAX_BYTES = 200 * 1024;
const exec = promisify(execFile);

class Fatal extends Error {}

// ─── Timing and checks ──────────────────────────────────────────────────────────────────────

const timings = [];

async function phase(name, run) {
  step(`${name}…`);
  const started = Date.now();
  try {
    return await run();
  } finally {
    timings.push([name, Date.now() - started]);
  }
}

const results = [];

/** One acceptance check: recorded, printed, and never stops the checks after it. */
async function checkOnce(round, name, run) {
  try {
    const detail = await run();
    results.push({ round, name, ok: true });
    console.log(`  ✔ ${name}${detail ? ` (${detail})` : ''}`);
  } catch (error) {
    results.push({ round, name, ok: false, message: error.message });
    console.log(`  ✖ ${name}: ${error.message}`);
  }
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

// ─── The stock NocoBase ─────────────────────────────────────────────────────────────────────

/** What a user's own NocoBase folder holds: the app package and the SQLite driver, nothing of ours. */
function stockPackageJson() {
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  return {
    name: 'stock-nocobase',
    private: true,
    dependencies: {
      '@nocobase/app': PLUGIN.devDependencies['@nocobase/app'],
      sqlite3: lock.packages['node_modules/sqlite3'].version,
    },
    // @nocobase/ai's own xlsx is a tarball on a CDN this machine cannot reach.
    overrides: { xlsx: PLUGIN.overrides.xlsx },
  };
}

/**
 * This process's environment without what would point a child at this repository: npm's
 * variables (we run under `npm run`), our node_modules/.bin on PATH, NocoBase settings.
 */
function outsideEnvironment() {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(npm_|INIT_CWD$|NODE_PATH$|NODE_OPTIONS$|NODE_ENV$|APP_|API_|DB_|STORAGE_PATH$|PLUGIN_|VITEST|TEST$)/.test(name)) {
      env[name] = value;
    }
  }
  env.PATH = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => !dir.startsWith(root))
    .join(path.delimiter);
  return env;
}

async function installStockNocoBase(dir) {
  const manifest = `${JSON.stringify(stockPackageJson(), null, 2)}\n`;
  const marker = path.join(dir, '.stock-installed');
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === manifest) {
    return 'reused';
  }
  fs.writeFileSync(path.join(dir, 'package.json'), manifest);
  // This repo's npm settings (legacy-peer-deps: several plugins name peers that are not published).
  const npmrc = fs.existsSync(path.join(root, '.npmrc')) ? fs.readFileSync(path.join(root, '.npmrc'), 'utf8') : '';
  fs.writeFileSync(path.join(dir, '.npmrc'), /legacy-peer-deps\s*=\s*true/.test(npmrc) ? npmrc : `${npmrc}\nlegacy-peer-deps=true\n`);
  const log = path.join(dir, 'npm-install.log');
  try {
    await exec('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, env: outsideEnvironment(), maxBuffer: 64 << 20 }).then(
      ({ stdout, stderr }) => fs.writeFileSync(log, stdout + stderr),
    );
  } catch (error) {
    fs.writeFileSync(log, `${error.stdout ?? ''}${error.stderr ?? ''}`);
    throw new Fatal(`npm install of the stock NocoBase failed (see ${log}): ${lastLine(error.stderr) ?? error.message}`);
  }
  fs.writeFileSync(marker, manifest);
  return 'installed';
}

/** A reused stock folder still holds the link an earlier upload made: a user's has none. */
function forgetEarlierUploads(dir) {
  fs.rmSync(path.join(dir, 'node_modules', PLUGIN.name), { recursive: true, force: true });
}

function lastLine(text) {
  return text?.trim().split('\n').filter(Boolean).pop();
}

// ─── The packed plugin ──────────────────────────────────────────────────────────────────────

/** `npm pack` (its prepack builds first), into a folder of its own. */
async function packPlugin(destination) {
  fs.mkdirSync(destination, { recursive: true });
  try {
    await exec('npm', ['pack', '--pack-destination', destination], { cwd: root, maxBuffer: 64 << 20 });
  } catch (error) {
    throw new Fatal(`npm pack failed: ${lastLine(error.stderr) ?? lastLine(error.stdout) ?? error.message}`);
  }
  const [tarball] = fs.readdirSync(destination).filter((file) => file.endsWith('.tgz'));
  if (!tarball) throw new Fatal(`npm pack wrote no .tgz into ${destination}`);
  return path.join(destination, tarball);
}

// ─── The app process ────────────────────────────────────────────────────────────────────────

/** The stock app, run as the NocoBase CLI runs it, its output in `logFile`. */
function stockApp({ dir, storage, port, logFile }) {
  const nodeModules = path.join(dir, 'node_modules');
  const cli = path.join(nodeModules, '@nocobase/app/lib/index.js');
  const baseUrl = `http://127.0.0.1:${port}`;
  let server;

  function environment() {
    return {
      ...outsideEnvironment(),
      ...nocobaseEnvironment({ storage, port, nodeModules }),
      // As the CLI does: an uploaded plugin is a symlink into storage/plugins.
      NODE_OPTIONS: '--preserve-symlinks',
      LOGGER_FORMAT: 'json',
      LOGGER_LEVEL: process.env.LOGGER_LEVEL ?? 'warn',
    };
  }

  function spawnCli(args) {
    const out = fs.openSync(logFile, 'a');
    fs.writeSync(out, `${JSON.stringify({ level: 'test', message: `— nocobase ${args.join(' ')}`, timestamp: new Date().toISOString() })}\n`);
    const child = spawn(process.execPath, [cli, ...args], { cwd: dir, env: environment(), stdio: ['ignore', out, out] });
    fs.closeSync(out);
    child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
    return child;
  }

  async function install() {
    const code = await spawnCli(['install', '-f']).exited;
    if (code !== 0) throw new Fatal(`nocobase install -f exited with ${code}: ${lastLogLine(logFile)}`);
  }

  async function start() {
    server = spawnCli(['start']);
    await waitUntilServing(() => server.exitCode !== null || server.signalCode !== null, 'starting');
  }

  /** Polls the gateway's health check: it answers 200 only while the app is running. */
  async function waitUntilServing(exited = () => false, doing = 'restarting', timeout = 180_000) {
    const started = Date.now();
    for (;;) {
      if (exited()) throw new Fatal(`NocoBase exited while ${doing}: ${lastLogLine(logFile)}`);
      try {
        if ((await fetch(`${baseUrl}/api/__health_check`)).ok) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() - started > timeout) throw new Fatal(`NocoBase did not answer within ${timeout / 1000} s while ${doing} (log: ${logFile})`);
      await sleep(500);
    }
  }

  async function stop() {
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    server.kill('SIGTERM');
    const code = await Promise.race([server.exited, sleep(30_000).then(() => 'timeout')]);
    if (code === 'timeout') {
      server.kill('SIGKILL');
      await server.exited;
    }
  }

  return { baseUrl, install, start, stop, waitUntilServing };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ─── The app log ────────────────────────────────────────────────────────────────────────────

/**
 * Error-level lines written since byte `from` (JSON lines from the logger, and raw crashes).
 * Leaves out the gateway's 503 "app busy" lines: it logs every request it turns away while the
 * app starts, restarts or runs a plugin-manager command at error level, our own polling included.
 */
function logErrors(logFile, from = 0) {
  const text = fs.readFileSync(logFile).subarray(from).toString('utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .filter((line) => {
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        return /\berror\b/i.test(line);
      }
      return entry.level === 'error' && !isBusyAnswer(entry);
    })
    .map(summarizeLogLine);
}

function isBusyAnswer(entry) {
  const error = entry.extra?.error;
  return entry.extra?.method === 'responseErrorWithCode' && error?.status === 503 && error?.maintaining === true;
}

function summarizeLogLine(line) {
  try {
    const entry = JSON.parse(line);
    const where = [entry.module, entry.submodule, entry.method].filter(Boolean).join('/');
    return `${where ? `[${where}] ` : ''}${entry.message}`.slice(0, 300);
  } catch {
    return line.slice(0, 300);
  }
}

function lastLogLine(logFile) {
  const lines = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').trim().split('\n') : [];
  return lines.length ? summarizeLogLine(lines[lines.length - 1]) : `nothing in ${logFile}`;
}

const logSize = (logFile) => fs.statSync(logFile).size;

// ─── Plugin manager over HTTP ───────────────────────────────────────────────────────────────

async function uploadPlugin(baseUrl, token, tarball) {
  const form = new FormData();
  form.append('file', new Blob([fs.readFileSync(tarball)]), path.basename(tarball));
  const res = await fetch(`${baseUrl}/api/pm:add`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'X-Authenticator': 'basic' },
    body: form,
  });
  if (!res.ok) throw new Fatal(`pm:add answered ${res.status}: ${await res.text()}`);
}

async function plugins(baseUrl, token) {
  return call(baseUrl, token, 'pm:list');
}

/**
 * The upload installs in the background, the app answering 503 meanwhile; it is done once the
 * plugin manager lists the package.
 */
async function waitForUpload(baseUrl, token, logFile) {
  const started = Date.now();
  const listed = () =>
    plugins(baseUrl, token).then(
      (list) => list.some((plugin) => plugin.packageName === PLUGIN.name),
      (error) => {
        if (/ answered 503/.test(error.message)) return false;
        throw error;
      },
    );
  while (!(await listed())) {
    if (Date.now() - started > 120_000) {
      const errors = logErrors(logFile);
      throw new Fatal(`pm:list did not list ${PLUGIN.name} within 2 minutes of the upload${errors.length ? `: ${errors.at(-1)}` : ''}`);
    }
    await sleep(1000);
  }
}

/** `awaitResponse` makes pm:enable answer after the enable and the restart, with any error. */
async function enablePlugin(app, token) {
  try {
    await call(app.baseUrl, token, 'pm:enable', { method: 'POST', params: { filterByTk: PLUGIN.name, awaitResponse: 'true' } });
  } catch (error) {
    throw new Fatal(`pm:enable failed: ${error.message}`);
  }
  await app.waitUntilServing();
}

// ─── The browser ────────────────────────────────────────────────────────────────────────────

async function launchBrowser() {
  if (!fs.existsSync(chromiumPath)) {
    throw new Fatal(`No Chromium at ${chromiumPath}: apt-get install -y chromium, or set CHROMIUM_PATH.`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

async function signedInPage(browser, baseUrl) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(60_000);
  await page.goto(`${baseUrl}/signin`);
  await page.getByPlaceholder('Username/Email').fill(admin.email);
  await page.getByPlaceholder('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/admin/);
  return page;
}

/** The settings centre's menu entries with this title, once the menu has rendered. */
async function settingsEntriesTitled(page, baseUrl, title) {
  await page.goto(`${baseUrl}/admin/settings`);
  await page.getByRole('menuitem', { name: 'Plugin manager' }).first().waitFor();
  // By text: an entry's accessible name also holds its icon's label.
  return page.getByRole('menuitem').filter({ hasText: new RegExp(`^\\s*${title}\\s*$`) });
}

// ─── Screenshots for the README (SCREENSHOTS=<folder>) ──────────────────────────────────────

/** One picture of the page as it is, once animations and hover effects have settled. */
async function screenshot(page, file) {
  await page.mouse.move(1279, 799);
  await page.waitForTimeout(800);
  const target = path.join(screenshotDir, file);
  await page.screenshot({ path: target });
  const { size } = fs.statSync(target);
  const note = size > SCREENSHOT_MAX_BYTES ? ` — over ${SCREENSHOT_MAX_BYTES / 1024} KB, too big for the README` : '';
  console.log(`  📷 ${path.relative(process.cwd(), target)} (${Math.round(size / 1024)} KB)${note}`);
}

/** Takes a picture with a signed-in page; a failure is reported, never stops the test. */
async function withScreenshotPage(browser, baseUrl, what, take) {
  step(`Screenshot: ${what}…`);
  let page;
  try {
    page = await signedInPage(browser, baseUrl);
    page.setDefaultTimeout(30_000);
    await take(page);
  } catch (error) {
    console.log(`  ✖ no screenshot of ${what}: ${error.message.split('\n')[0]}`);
    results.push({ round: 'screenshots', name: `screenshot of ${what}`, ok: false, message: error.message });
  } finally {
    await page?.close();
  }
}

/**
 * Plugin manager → Add & Update → Upload plugin, with the packed plugin picked but not submitted:
 * the upload itself then goes through pm:add, as in every run.
 */
function screenshotUploadDialog(browser, baseUrl, tarball) {
  return withScreenshotPage(browser, baseUrl, 'the upload dialog', async (page) => {
    await page.goto(`${baseUrl}/admin/pm/list`);
    await page.getByRole('button', { name: /^Add & update$/i }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Upload plugin', { exact: true }).click();
    await dialog.locator('input[type=file]').setInputFiles(tarball);
    await dialog.getByText(path.basename(tarball)).waitFor();
    await screenshot(page, 'install-upload.png');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });
}

/** The plugin manager's list searched for Keyward, its switch on; and Keyward's settings page with the one-time notice. */
async function screenshotsAfterEnabling(browser, baseUrl) {
  await withScreenshotPage(browser, baseUrl, 'Keyward enabled in the plugin manager', async (page) => {
    await page.goto(`${baseUrl}/admin/pm/list`);
    const card = (title) => page.locator('.ant-card').filter({ has: page.getByText(title, { exact: true }) });
    await card('Auth: API keys').waitFor();
    await page.getByPlaceholder('Search plugin').fill('Keyward');
    await card('Auth: API keys').waitFor({ state: 'detached' });
    await card(PLUGIN.displayName).locator('.ant-switch-checked').waitFor();
    await screenshot(page, 'install-enabled.png');
  });
  await withScreenshotPage(browser, baseUrl, 'the handover notice', async (page) => {
    await page.goto(`${baseUrl}${KEYWARD_PAGE}`);
    await page.getByText(/API keys? (was|were) taken over from the built-in/).waitFor();
    await page.getByRole('row', { name: new RegExp(BUILT_IN_KEY_NAME) }).getByText('Imported', { exact: true }).waitFor();
    await screenshot(page, 'install-handover.png');
  });
}

// ─── The checks ─────────────────────────────────────────────────────────────────────────────

/** Every acceptance check; run once after enabling Keyward and again after a restart. */
async function checkHandover({ round, app, browser, logFile, logFrom, builtInKey, keywardKey }) {
  const { baseUrl } = app;
  const check = (name, run) => checkOnce(round, name, run);
  const token = await signIn(baseUrl, admin.email, admin.password);

  await check('the built-in "Auth: API keys" is disabled, Keyward enabled', async () => {
    const list = await plugins(baseUrl, token);
    const builtIn = list.find((plugin) => plugin.name === BUILT_IN);
    const keyward = list.find((plugin) => plugin.packageName === PLUGIN.name);
    expect(keyward?.enabled, `Keyward is ${keyward ? 'not enabled' : 'not listed'} in pm:list`);
    expect(!builtIn?.enabled, 'the built-in api-keys plugin is still enabled');
    const enabled = (await call(baseUrl, token, 'pm:listEnabled')).map((plugin) => plugin.packageName ?? plugin.name);
    expect(!enabled.includes(`@nocobase/plugin-${BUILT_IN}`), 'pm:listEnabled still lists @nocobase/plugin-api-keys');
    expect(enabled.includes(PLUGIN.name), `pm:listEnabled does not list ${PLUGIN.name}`);
  });

  await check('the built-in key still answers todos:list', async () => {
    const todos = await call(baseUrl, builtInKey, 'todos:list', { authenticator: null });
    return `${todos.length} to-dos`;
  });

  await check('apiKeys:list shows the built-in key as imported', async () => {
    const keys = await call(baseUrl, token, 'apiKeys:list', { params: { pageSize: 200 } });
    const imported = keys.find((key) => key.name === BUILT_IN_KEY_NAME);
    expect(imported, `no key named "${BUILT_IN_KEY_NAME}" among ${keys.length} (${keys.map((key) => key.name).join(', ') || 'none'})`);
    expect(imported.imported === true, `its imported is ${JSON.stringify(imported.imported)}, not true`);
    expect(String(imported.hint).startsWith('eyJ'), `its hint ${JSON.stringify(imported.hint)} does not start with eyJ`);
    // For the record: Keyward notes a use only if it, not the host's own JWT check, took the key
    // (written at the latest when the app stops, so seen after the restart).
    return `hint ${imported.hint}, last used ${imported.lastUsedAt ?? 'never'}`;
  });

  await check('a Keyward key runs the To-Dos calls', () => todosRoundTrip(baseUrl, keywardKey));

  const page = await signedInPage(browser, baseUrl).catch((error) => {
    throw new Fatal(`signing in to the UI failed: ${error.message.split('\n')[0]}`);
  });
  try {
    await check('exactly one "API keys" settings page, and it is Keyward\'s', async () => {
      const entries = await settingsEntriesTitled(page, baseUrl, 'API keys');
      const count = await entries.count();
      expect(count === 1, `the settings menu has ${count} entries titled "API keys"`);
      await entries.click();
      await page.waitForURL(`**${KEYWARD_PAGE}`, { timeout: 15_000 }).catch(() => {
        throw new Error(`the entry leads to ${new URL(page.url()).pathname}, not ${KEYWARD_PAGE}`);
      });
    });
    await check(`${KEYWARD_PAGE} is Keyward's page, with the imported key`, async () => {
      await page.goto(`${baseUrl}${KEYWARD_PAGE}`);
      await page.getByText(KEYWARD_PAGE_TEXT).waitFor({ timeout: 30_000 }).catch(() => {
        throw new Error("Keyward's page did not render");
      });
      await page
        .getByRole('row', { name: new RegExp(BUILT_IN_KEY_NAME) })
        .waitFor({ timeout: 10_000 })
        .catch(() => {
          throw new Error(`no row for "${BUILT_IN_KEY_NAME}" in the table of keys`);
        });
    });
  } finally {
    await page.close();
  }

  await check('no error in the app log', () => {
    const errors = logErrors(logFile, logFrom);
    expect(!errors.length, `${errors.length} error line(s):\n      ${errors.join('\n      ')}`);
  });
}

/** The seed's To-Dos calls with a key, the way a script makes them: Authorization header only. */
async function todosRoundTrip(baseUrl, key) {
  const api = (action, options = {}) => call(baseUrl, key, action, { ...options, authenticator: null });
  await api('todos:list');
  const created = await api('todos:create', { method: 'POST', body: { title: 'written with a Keyward key' } });
  await api('todos:get', { params: { filterByTk: String(created.id) } });
  await api('todos:update', { method: 'POST', params: { filterByTk: String(created.id) }, body: { completed: true } });
  await api('todos:destroy', { method: 'POST', params: { filterByTk: String(created.id) } });
  return 'list, create, get, update, destroy';
}

// ─── The run ────────────────────────────────────────────────────────────────────────────────

async function main(workDir, stockDir) {
  const storage = path.join(workDir, 'storage');
  const logFile = path.join(workDir, 'nocobase.log');
  fs.writeFileSync(logFile, '');
  const port = await freePort();
  const app = stockApp({ dir: stockDir, storage, port, logFile });
  let browser;
  console.log(`  stock NocoBase: ${stockDir}\n  storage and log: ${workDir}`);

  try {
    const tarball = await phase('Packing the plugin (npm pack builds first)', () => packPlugin(path.join(workDir, 'pack')));
    const how = await phase('Installing a stock NocoBase (npm install)', () => installStockNocoBase(stockDir));
    console.log(`  ${how === 'reused' ? 'reused the install' : 'installed'} in ${stockDir}`);
    forgetEarlierUploads(stockDir);

    await phase('Installing the app and starting it', async () => {
      await app.install();
      await app.start();
    });

    const builtInKey = await phase('Setting up the To-Dos and a key of the built-in plugin', async () => {
      await setUpTodos(app.baseUrl);
      const token = await signIn(app.baseUrl, admin.email, admin.password);
      const key = await createKey(app.baseUrl, token, ROLE.name, BUILT_IN_KEY_NAME);
      // Whatever the import does later, the key must have worked beforehand.
      await call(app.baseUrl, key, 'todos:list', { authenticator: null }).catch((error) => {
        throw new Fatal(`the built-in key does not work even before Keyward: ${error.message}`);
      });
      return key;
    });

    if (screenshotDir) {
      fs.mkdirSync(screenshotDir, { recursive: true });
      browser = await launchBrowser();
    }
    const logFrom = logSize(logFile);
    const keywardKey = await phase('Uploading and enabling Keyward', async () => {
      const token = await signIn(app.baseUrl, admin.email, admin.password);
      if (screenshotDir) await screenshotUploadDialog(browser, app.baseUrl, tarball);
      await uploadPlugin(app.baseUrl, token, tarball);
      await waitForUpload(app.baseUrl, token, logFile);
      await enablePlugin(app, token);
      // Before anything else: the only key listed is the imported one, and the notice is pending.
      if (screenshotDir) await screenshotsAfterEnabling(browser, app.baseUrl);
      const key = await createKey(app.baseUrl, await signIn(app.baseUrl, admin.email, admin.password), ROLE.name, 'made by Keyward');
      if (!key?.startsWith('keyward_')) throw new Fatal(`apiKeys:create did not answer a Keyward key after enabling (got ${String(key).slice(0, 12)}…)`);
      return key;
    });

    browser ??= await launchBrowser();
    await phase('Checking the handover', () => checkHandover({ round: 'after enabling', app, browser, logFile, logFrom, builtInKey, keywardKey }));

    await phase('Restarting the app', async () => {
      await app.stop();
      await app.start();
    });
    const restartFrom = logSize(logFile);
    await phase('Checking again after the restart', () => checkHandover({ round: 'after the restart', app, browser, logFile, logFrom: restartFrom, builtInKey, keywardKey }));
  } finally {
    await browser?.close();
    await app.stop();
  }
}

function printTimings() {
  console.log('\nTimes:');
  for (const [name, ms] of timings) {
    console.log(`  ${(ms / 1000).toFixed(1).padStart(6)} s  ${name}`);
  }
}

/** A fresh stock folder is 1.1 GB of small files: removed in the background, not waited for. */
function removeInBackground(dir) {
  spawn('rm', ['-rf', dir], { detached: true, stdio: 'ignore' }).unref();
}

const started = Date.now();
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-stock-run-'));
const cachedStock = process.env.STOCK_NOCOBASE_DIR ? path.resolve(process.env.STOCK_NOCOBASE_DIR) : undefined;
const stockDir = cachedStock ?? fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-stock-nocobase-'));
fs.mkdirSync(stockDir, { recursive: true });

let fatal;
try {
  await main(workDir, stockDir);
} catch (error) {
  if (!(error instanceof Fatal)) console.error(error.stack);
  fatal = String(error.message ?? error).split('\n')[0];
}
if (!cachedStock) removeInBackground(stockDir);
printTimings();
console.log(`  ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  in all`);

const failed = results.filter((result) => !result.ok);
if (fatal || failed.length) {
  console.error(`\nThe app's log and storage are kept in ${workDir}`);
  console.error(
    fatal
      ? `✖ Stock install test stopped: ${fatal}`
      : `✖ ${failed.length} of ${results.length} checks failed: ${failed.map((result) => `${result.name} (${result.round})`).join('; ')}`,
  );
  process.exit(1);
}
fs.rmSync(workDir, { recursive: true, force: true });
console.log(`\n✔ All ${results.length} checks passed: Keyward took over from the built-in API keys plugin in a stock NocoBase.`);
