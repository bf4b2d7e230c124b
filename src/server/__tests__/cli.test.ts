import type { MockServer } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import generateApiKeyCommand from '../commands/generate-api-key';
import { createApp, setUpTodos, TODOS_ROLE, withKey } from './helpers';

/** The built-in plugin's `generate-api-key` command, with the same options and output. */
describe('generate-api-key', () => {
  let app: MockServer;

  beforeAll(async () => {
    app = await createApp();
    await setUpTodos(app);
    generateApiKeyCommand(app);
  });

  afterAll(async () => {
    await app?.destroy();
  });

  const run = async (...args: string[]) => {
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    try {
      await app.runAsCLI(['generate-api-key', ...args], { from: 'user', throwError: true });
    } finally {
      log.mockRestore();
    }
    return lines;
  };

  it('prints a working key between the BEGIN and END lines', async () => {
    const lines = await run('-n', 'from the cli', '-r', TODOS_ROLE, '-u', 'todos', '-e', '7d');
    const begin = lines.indexOf('-----BEGIN API KEY-----');
    expect(begin).toBeGreaterThanOrEqual(0);
    expect(lines[begin + 2]).toBe('-----END API KEY-----');
    const key = lines[begin + 1];
    const res = await withKey(app, key).get('/api/todos:list');
    expect(res.body).toMatchObject({ data: expect.any(Array) });
    const record = await app.db.getRepository('apiKeys').findOne({ filter: { name: 'from the cli' } });
    expect(record.get('roleName')).toBe(TODOS_ROLE);
    expect(Date.parse(record.get('expiresAt')) - Date.now()).toBeGreaterThan(6.9 * 24 * 3600 * 1000);
  });

  it('defaults to 30 days, as the built-in does', async () => {
    await run('--name', 'default expiry', '--role', TODOS_ROLE, '--username', 'todos');
    const record = await app.db.getRepository('apiKeys').findOne({ filter: { name: 'default expiry' } });
    expect(Math.round((Date.parse(record.get('expiresAt')) - Date.now()) / (24 * 3600 * 1000))).toBe(30);
  });

  it('refuses a role the user does not hold and an unknown user', async () => {
    await expect(run('-n', 'x', '-r', 'root', '-u', 'todos')).rejects.toThrow('Role not found');
    await expect(run('-n', 'y', '-r', TODOS_ROLE, '-u', 'nobody')).rejects.toThrow('User not found');
  });
});
