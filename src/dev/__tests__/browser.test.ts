// End to end in a real browser: the app exactly as `npm start` runs it, on its own storage and
// port, driven through the UI by headless Chromium. Saves the README's screenshots on the way.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../free-port.mjs';
import { setUpTodos, TODOS } from '../todos-demo.mjs';

const root = path.resolve(__dirname, '../../..');
const screenshots = path.join(root, 'src/docs');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PLUGIN_MARKERS = ['@keyward', 'keyward', 'apiKeys'];
const KEY_NAME = 'browser test key';

/** `npm start`'s environment: none of vitest's variables, which change how NocoBase boots. */
function startEnvironment(storage: string, port: number) {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(VITEST|TEST$|NODE_ENV$|APP_ENV$|DB_)/.test(name)) {
      env[name] = value;
    }
  }
  // One trusted proxy: a request may then say it comes from elsewhere with X-Forwarded-For, so
  // the test can show a refusal for an address the key does not allow.
  return { ...env, STORAGE_PATH: storage, APP_PORT: String(port), KEYWARD_TRUSTED_PROXIES: '1' };
}

function waitForReady(child: ChildProcess, output: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (chunk.toString().includes('is running at')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output.join('').slice(-3000)}`)));
  });
}

/** Waits until antd's open/close animations are over, so screenshots show the final frame. */
function settled(page: Page) {
  return page.waitForFunction(() => !document.querySelector('[class*="-appear-active"], [class*="-enter-active"], [class*="-leave-active"]'));
}

describe('the settings page in a real browser', () => {
  let storage: string;
  let baseUrl: string;
  let server: ChildProcess;
  let browser: Browser;
  let page: Page;
  const pluginErrors: string[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(chromiumPath)) {
      throw new Error(`No Chromium at ${chromiumPath}: apt-get install -y chromium, or set CHROMIUM_PATH.`);
    }
    storage = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-browser-'));
    const port = await freePort();
    baseUrl = `http://localhost:${port}`;
    const output: string[] = [];
    server = spawn(process.execPath, [path.join(root, 'src/dev/start.mjs')], {
      cwd: root,
      env: startEnvironment(storage, port),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await waitForReady(server, output);

    await setUpTodos(baseUrl);

    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // Other test files run beside this one on a 2-core machine: the first page load can be slow.
    page.setDefaultTimeout(90_000);
    const fromPlugin = (text: string) => PLUGIN_MARKERS.some((marker) => text.includes(marker));
    page.on('console', (message) => {
      const text = `${message.text()} (${message.location().url})`;
      if (message.type() === 'error' && fromPlugin(text)) pluginErrors.push(text);
    });
    page.on('pageerror', (error) => {
      if (fromPlugin(`${error.message}\n${error.stack}`)) pluginErrors.push(error.stack ?? error.message);
    });
    page.on('response', (response) => {
      if (response.url().includes('/@keyward/plugin-api-keys/') && !response.ok()) {
        pluginErrors.push(`${response.status()} ${response.url()}`);
      }
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    if (storage) fs.rmSync(storage, { recursive: true, force: true });
  }, 60_000);

  async function listTodos(key: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${baseUrl}/api/todos:list`, { headers: { Authorization: `Bearer ${key}`, ...headers } });
    return { status: res.status, body: await res.json() };
  }

  async function createTodo(key: string) {
    const res = await fetch(`${baseUrl}/api/todos:create`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'not with a read-only key' }),
    });
    return { status: res.status, body: await res.json() };
  }

  /** Answered requests, then refusals of three kinds, so the key's usage has something to show. */
  async function useKey(key: string) {
    const codes: Record<string, number> = {};
    const count = ({ status, body }: { status: number; body: any }) => {
      const outcome = status === 200 ? 'ok' : body.errors[0].code;
      codes[outcome] = (codes[outcome] ?? 0) + 1;
    };
    for (let i = 0; i < 9; i++) count(await listTodos(key));
    for (let i = 0; i < 3; i++) count(await createTodo(key));
    for (let i = 0; i < 2; i++) count(await listTodos(key, { 'X-Forwarded-For': '203.0.113.9' }));
    // Up to the limit of 20 a minute (a new minute may start on the way: then on to its limit).
    for (let i = 0; i < 60 && !codes.API_KEY_RATE_LIMITED; i++) count(await listTodos(key));
    return codes;
  }

  it('creates a key in the UI, uses it, deletes it in the UI, and the key stops working', async () => {
    await page.goto(`${baseUrl}/signin`);
    await page.getByPlaceholder('Username/Email').fill('admin@nocobase.com');
    await page.getByPlaceholder('Password').fill('admin123');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/admin/);

    // Settings (the gear in the top bar) → API keys.
    await page.locator('[aria-label="setting"]').first().click();
    await page.getByRole('menuitem', { name: 'API keys' }).click();
    await page.waitForURL(/\/admin\/settings\/keyward-api-keys/);

    await page.getByRole('button', { name: 'Add API key' }).click();
    const form = page.getByRole('dialog', { name: 'Add API key' });
    await form.getByLabel('Name').fill(KEY_NAME);
    await form.getByLabel('Role').click();
    await page.locator('.ant-select-item-option', { hasText: 'To Dos API Role' }).click();
    // Restrictions: only from this machine, 20 requests a minute, reads only.
    const ips = form.getByLabel('Allowed IPs');
    for (const entry of ['127.0.0.1', '::1']) {
      await ips.fill(entry);
      await ips.press('Enter');
    }
    await form.getByPlaceholder('Requests').fill('20');
    await form.getByLabel('Read-only').check();
    await form.getByTitle('::1').waitFor();
    // Tall enough for the whole form.
    await page.setViewportSize({ width: 1280, height: 1000 });
    await form.getByLabel('Name').click();
    await page.mouse.move(0, 0);
    await settled(page);
    await page.screenshot({ path: path.join(screenshots, 'add-key-form.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
    await form.getByRole('button', { name: 'Submit' }).click();

    const oneTime = page.getByRole('dialog', { name: 'API key created' });
    const key = await oneTime.getByLabel('API key').inputValue();
    expect(key).toMatch(/^keyward_[0-9A-Za-z]{49}$/);
    await oneTime.getByText(`${baseUrl}/api/`).first().waitFor();
    await settled(page);
    await page.screenshot({ path: path.join(screenshots, 'one-time-key-modal.png') });

    const used = await listTodos(key);
    expect(used.status).toBe(200);
    expect(used.body.data.map((todo: { title: string }) => todo.title).sort()).toEqual([...TODOS].sort());
    const outcomes = await useKey(key);
    expect(outcomes).toMatchObject({ API_KEY_READ_ONLY: 3, API_KEY_IP_NOT_ALLOWED: 2, API_KEY_RATE_LIMITED: 1 });
    expect(outcomes.ok).toBeGreaterThanOrEqual(9);

    await oneTime.getByRole('button', { name: 'Done' }).click();
    await oneTime.getByRole('button', { name: 'Yes, close' }).click();
    await oneTime.waitFor({ state: 'hidden' });
    // As a person finds the page on coming back: with the key's use since.
    await page.reload();

    const row = page.getByRole('row', { name: new RegExp(KEY_NAME) });
    await row.getByText('To Dos API Role').waitFor();
    await row.getByText('Active').waitFor();
    await row.getByRole('img', { name: /^Last 30 days/ }).waitFor();
    await page.mouse.move(0, 0);
    await settled(page);
    await page.screenshot({ path: path.join(screenshots, 'settings-page.png') });

    // The key's usage: today's answered and refused requests (not yet written to the database:
    // the server counts them in), refusals by reason, and the address it was last used from.
    const answered = 1 + outcomes.ok;
    await page.setViewportSize({ width: 1280, height: 1000 });
    await row.getByTitle('Show usage').click();
    const usage = page.getByRole('dialog', { name: `Usage: ${KEY_NAME}` });
    await usage.getByRole('heading', { name: `Last 30 days: ${answered} answered, 6 refused` }).waitFor();
    await usage.getByRole('cell', { name: 'Over its rate limit', exact: true }).waitFor();
    await usage.getByRole('cell', { name: 'Write with a read-only key', exact: true }).waitFor();
    await usage.getByRole('cell', { name: 'From an address not allowed', exact: true }).waitFor();
    expect(await usage.locator('.keyward-usage-day').count()).toBe(30);
    await page.mouse.move(0, 0);
    await settled(page);
    await page.screenshot({ path: path.join(screenshots, 'usage-chart.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
    await usage.locator('.ant-modal-footer').getByRole('button', { name: 'Close' }).click();
    await usage.waitFor({ state: 'hidden' });

    await row.getByRole('button', { name: 'Delete' }).click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached' });

    const refused = await listTodos(key);
    expect(refused.status).toBe(401);
    expect(refused.body.errors[0].code).toBe('API_KEY_INVALID');

    expect(pluginErrors).toEqual([]);
  }, 400_000);
});
