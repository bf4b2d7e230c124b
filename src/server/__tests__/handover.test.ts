import { createMockServer, type MockServer } from '@nocobase/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BUILT_IN_PLUGIN, ErrorCode, HANDOVER_RESOURCE, PACKAGE_NAME } from '../../constants';
import eraseBuiltInApiKeysCommand from '../commands/erase-built-in-api-keys';
import { readBuiltInRows, withBuiltInTable } from '../handover/built-in-table';
import type PluginKeywardServer from '../plugin';
import Keyward from '../plugin';
import { createKey, defineTodos, HOST_PLUGINS, setUpTodos, sharedDatabase, SNIPPET, TODOS_ROLE, withKey } from './helpers';

const BUILT_IN_SNIPPET = 'pm.api-keys.configuration';

/**
 * A NocoBase where the built-in plugin made keys, then the same database with Keyward enabled
 * beside it, as the plugin manager leaves them at the moment it calls Keyward's afterEnable.
 */
describe('taking over from the built-in "Auth: API keys" plugin', () => {
  let app: MockServer;
  let keyward: PluginKeywardServer;
  let tokens: string[];
  let longNamed: string[];
  let forever: string;
  const LONG_NAME = 'x'.repeat(100);
  let owner: any;
  const dir = mkdtempSync(join(tmpdir(), 'keyward-handover-'));
  const options = {
    acl: true,
    registerActions: true,
    resourcer: { prefix: '/api' },
    database: sharedDatabase(dir),
  } as any;

  const todos = (token: string, headers?: Record<string, string>) => withKey(app, token, headers).get('/api/todos:list');
  const isBlockedForHost = (token: string) => app.authManager.jwt.blacklist.has(token);
  const pluginRow = (name: string) => app.pm.repository.findOne({ filter: { name } });
  const ownKeys = async () => (await (await app.agent().login(owner, TODOS_ROLE)).resource('apiKeys').list()).body.data;
  const admin = async () => app.agent().login(await app.db.getRepository('users').findOne({ filter: { id: 1 } }), 'root');

  beforeAll(async () => {
    const before = await createMockServer({ ...options, plugins: [...HOST_PLUGINS, BUILT_IN_PLUGIN] });
    ({ user: owner } = await setUpTodos(before));
    await before.db.getRepository('roles').update({ filterByTk: TODOS_ROLE, values: { snippets: [SNIPPET, BUILT_IN_SNIPPET] } });
    const agent = await before.agent().login(owner, TODOS_ROLE);
    tokens = [];
    // The built-in lets one owner give two keys the same name. (Its keys are JWTs of owner, role
    // and expiry: two made in the same second with the same expiry are the same token.)
    for (const expiresIn of ['30d', '31d']) {
      const res = await agent.resource('apiKeys').create({ values: { name: 'nightly', role: { name: TODOS_ROLE }, expiresIn } });
      tokens.push(res.body.data.token);
    }
    longNamed = [];
    for (const expiresIn of ['33d', '34d']) {
      const res = await agent.resource('apiKeys').create({ values: { name: LONG_NAME, role: { name: TODOS_ROLE }, expiresIn } });
      longNamed.push(res.body.data.token);
    }
    // The built-in passes any expiry on: past the year 9999, no database keeps it as a date.
    forever = (await agent.resource('apiKeys').create({ values: { name: 'forever', role: { name: TODOS_ROLE }, expiresIn: '10000y' } }))
      .body.data.token;
    // One the built-in revoked (blocked, row gone is the usual case; here the row stays) and one expired.
    const revoked = await agent.resource('apiKeys').create({ values: { name: 'revoked', role: { name: TODOS_ROLE }, expiresIn: '32d' } });
    await before.authManager.jwt.block(revoked.body.data.token);
    const expired = before.authManager.jwt.sign({ userId: owner.id, roleName: TODOS_ROLE }, { expiresIn: -10 });
    await before.db.getRepository('apiKeys').create({ values: { name: 'expired', roleName: TODOS_ROLE, token: expired } });
    expect((await withKey(before, tokens[0]).get('/api/todos:list')).status).toBe(200);
    await before.destroy();

    app = await createMockServer({
      ...options,
      plugins: [...HOST_PLUGINS, BUILT_IN_PLUGIN, [Keyward, { name: PACKAGE_NAME }]],
      skipInstall: true,
      skipStart: true,
    });
    // Defined before the start, which gives the roles their permissions on it.
    defineTodos(app);
    await app.runCommandThrowError('start');
    await app.db.sync();
    // A start writes the roles' permissions lazily; the tests ask at once.
    await (app.pm.get('acl') as any).writeRolesToACL();
    // The plugin manager's rows, as a real app has them (the test kit's app keeps none).
    await app.pm.repository.create({
      values: [
        { name: BUILT_IN_PLUGIN, enabled: true, installed: true },
        { name: PACKAGE_NAME, enabled: true, installed: true },
      ],
    });
    keyward = app.pm.get(PACKAGE_NAME) as PluginKeywardServer;
    await keyward.afterEnable();
  });

  afterAll(async () => {
    await app?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('switches the built-in off', async () => {
    expect((await pluginRow(BUILT_IN_PLUGIN))?.get('enabled')).toBe(false);
    expect(app.pm.get(BUILT_IN_PLUGIN)?.enabled).toBe(false);
  });

  it('imports the live keys, which keep working with the token the scripts hold', async () => {
    for (const token of tokens) {
      const res = await todos(token);
      expect(res.status).toBe(200);
      expect(res.body.data).toHaveLength(3);
    }
    const keys = (await ownKeys()).filter((key: any) => key.name.startsWith('nightly'));
    expect(keys.map((key: any) => key.name).sort()).toEqual(['nightly', 'nightly (2)']);
    for (const key of keys) {
      expect(key).toMatchObject({ imported: true, enabled: true, role: { name: TODOS_ROLE } });
      expect(key.hint).toMatch(/^eyJ….{4}$/);
      expect(tokens.some((token) => token.endsWith(key.hint.slice(-4)))).toBe(true);
      expect(new Date(key.expiresAt).getTime()).toBeGreaterThan(Date.now() + 29 * 86400_000);
      expect(key).not.toHaveProperty('hash');
      expect(key).not.toHaveProperty('token');
    }
  });

  it('keeps names unique per owner and within the length limit', async () => {
    const names = (await ownKeys()).map((key: any) => key.name);
    expect(names).toContain(LONG_NAME);
    expect(names).toContain(`${'x'.repeat(96)} (2)`);
    expect(names).toContain('forever');
  });

  it('skips what no longer works: revoked and expired keys', async () => {
    expect((await ownKeys()).map((key: any) => key.name)).not.toContain('revoked');
    expect((await ownKeys()).map((key: any) => key.name)).not.toContain('expired');
  });

  it('leaves the host no way around Keyward: the tokens are blocked for its own authenticator', async () => {
    expect(await isBlockedForHost(tokens[0])).toBe(true);
    // Even one that claims to last 10,000 years: its block is dated so that it is never purged.
    const blacklist = app.authManager.jwt.blacklist as any;
    await blacklist.deleteExpiredTokens();
    expect(await isBlockedForHost(forever)).toBe(true);
    expect((await todos(forever)).status).toBe(200);
  });

  it('decides about imported tokens however they are sent', async () => {
    const inQuery = await withKey(app, '').get(`/api/todos:list?token=${tokens[1]}`);
    expect(inQuery.status).toBe(401);
    expect(inQuery.body.errors[0].code).toBe(ErrorCode.IN_QUERY);
    // The host reads `Authorization` with or without `Bearer `; so does Keyward.
    const bare = await app.agent().get('/api/todos:list').set({ Authorization: tokens[1], 'X-Role': 'admin' });
    expect(bare.status).toBe(403);
    expect(bare.body.errors[0].code).toBe(ErrorCode.ROLE_SWITCH_REFUSED);
  });

  it('applies every rule of Keyward to imported keys', async () => {
    const switched = await todos(tokens[0], { 'X-Role': 'admin' });
    expect(switched.status).toBe(403);
    expect(switched.body.errors[0].code).toBe(ErrorCode.ROLE_SWITCH_REFUSED);
    const minted = await withKey(app, tokens[0]).post('/api/apiKeys:create').send({ name: 'x', role: { name: TODOS_ROLE } });
    // Until the restart that follows an enable, the built-in's permission names apiKeys:create
    // too, so it is refused as configuration; either way no key is made.
    expect(minted.status).toBe(403);
    expect([ErrorCode.MANAGED_BY_KEY, ErrorCode.CONFIGURATION_REFUSED]).toContain(minted.body.errors[0].code);
    expect(await ownKeys()).toHaveLength(5);
  });

  it('tells an administrator once what happened, and nobody else', async () => {
    const notice = await (await admin()).resource(HANDOVER_RESOURCE).get();
    expect(notice.status).toBe(200);
    expect(notice.body.data).toMatchObject({ pending: true, imported: 5, skipped: 2, failed: 0, plaintextCopies: 5 });
    const member = await (await app.agent().login(owner, TODOS_ROLE)).resource(HANDOVER_RESOURCE).get();
    expect(member.status).toBe(403);
    const byKey = await withKey(app, tokens[0]).get(`/api/${HANDOVER_RESOURCE}:get`);
    expect(byKey.status).toBe(403);
    expect(byKey.body.errors[0].code).toBe(ErrorCode.CONFIGURATION_REFUSED);
    const byGet = await (await admin()).get(`/api/${HANDOVER_RESOURCE}:erase`);
    expect(byGet.status).toBe(405);
    expect(await readBuiltInRows(app.db)).toHaveLength(7);
  });

  it('imports nothing twice', async () => {
    const report = await keyward.handover.takeOver();
    expect(report).toMatchObject({ imported: 0, kept: 5, failed: 0 });
    expect(await ownKeys()).toHaveLength(5);
  });

  it('hands untouched keys back when disabled, keeps the ones an owner limited, takes them again when enabled', async () => {
    const agent = await app.agent().login(owner, TODOS_ROLE);
    const shortened = (await ownKeys()).find((key: any) => key.name === 'nightly');
    await agent.resource('apiKeys').update({ filterByTk: shortened.id, values: { expiresIn: '1d' } });
    const limitedToken = tokens.find((token) => token.endsWith(shortened.hint.slice(-4)))!;
    const otherToken = tokens.find((token) => token !== limitedToken)!;

    await keyward.beforeDisable();
    expect((await ownKeys()).map((key: any) => key.id)).toEqual([shortened.id]);
    expect(await isBlockedForHost(otherToken)).toBe(false);
    expect(await isBlockedForHost(limitedToken)).toBe(true);
    expect(await readBuiltInRows(app.db)).toHaveLength(7);

    await keyward.afterEnable();
    expect(await ownKeys()).toHaveLength(5);
    expect((await todos(otherToken)).status).toBe(200);
    expect(await isBlockedForHost(otherToken)).toBe(true);
  });

  it('erases the plain-text copies on request, and the keys keep working', async () => {
    const res = await (await admin()).resource(HANDOVER_RESOURCE).erase();
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ erased: 5 });
    expect((await readBuiltInRows(app.db)).map((row) => row.name).sort()).toEqual(['expired', 'revoked']);
    expect((await (await admin()).resource(HANDOVER_RESOURCE).get()).body.data).toEqual({ pending: false });
    expect((await todos(tokens[0])).status).toBe(200);
  });

  it('erases them from the command line as well', async () => {
    const token = app.authManager.jwt.sign({ userId: owner.id, roleName: TODOS_ROLE }, { expiresIn: '40d' });
    await app.db.sequelize.getQueryInterface().bulkInsert('apiKeys', [
      { name: 'made while Keyward was off', roleName: TODOS_ROLE, token, createdById: owner.id, createdAt: new Date() },
    ]);
    expect(await keyward.handover.takeOver()).toMatchObject({ imported: 1 });
    expect((await (await admin()).resource(HANDOVER_RESOURCE).get()).body.data).toMatchObject({ pending: true, plaintextCopies: 1 });
    eraseBuiltInApiKeysCommand(app);
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    try {
      await app.runAsCLI(['erase-built-in-api-keys'], { from: 'user', throwError: true });
    } finally {
      log.mockRestore();
    }
    expect(lines.join('\n')).toMatch(/plain-text copies of 1 imported API keys/);
    expect(await readBuiltInRows(app.db)).toHaveLength(2);
    expect((await (await admin()).resource(HANDOVER_RESOURCE).get()).body.data).toEqual({ pending: false });
    expect((await todos(token)).status).toBe(200);
  });

  it('revokes imported keys at once: disabled, then deleted', async () => {
    const agent = await app.agent().login(owner, TODOS_ROLE);
    const [first, second] = (await ownKeys()).filter((key: any) => key.name.startsWith('nightly'));
    await agent.resource('apiKeys').update({ filterByTk: first.id, values: { enabled: false } });
    await agent.resource('apiKeys').destroy({ filterByTk: second.id });
    const byToken = (hint: string) => tokens.find((token) => token.endsWith(hint.slice(-4)))!;
    const disabled = await todos(byToken(first.hint));
    expect(disabled.status).toBe(401);
    expect(disabled.body.errors[0].code).toBe(ErrorCode.DISABLED);
    const deleted = await todos(byToken(second.hint));
    expect(deleted.status).toBe(401);
    expect(deleted.body.errors[0].code).toBe(ErrorCode.INVALID);
  });

  it('leaves a key made with Keyward alone', async () => {
    const { key } = await createKey(app, owner);
    expect((await todos(key)).status).toBe(200);
  });

  it('goes on past a key it cannot import, blocks that one, and logs no token', async () => {
    const sign = (expiresIn: `${number}d`) => app.authManager.jwt.sign({ userId: owner.id, roleName: TODOS_ROLE }, { expiresIn });
    // Expiries no other test signs: a JWT signed in the same second with the same claims is the
    // same token, which the import would find already imported (kept).
    const [failing, fine] = [sign('42d'), sign('43d')];
    const now = new Date();
    await withBuiltInTable(app.db, (table) =>
      app.db.sequelize.getQueryInterface().bulkInsert(table.getTableName(), [
        { name: 'failing', roleName: TODOS_ROLE, token: failing, createdAt: now },
        { name: 'fine', roleName: TODOS_ROLE, token: fine, createdAt: now },
      ]),
    );
    // The first insert fails the way a database does: with the statement, token and all.
    const create = vi.spyOn(app.db.getRepository('apiKeys'), 'create');
    create.mockRejectedValueOnce(new Error(`insert into keys values ('${failing}')`));
    const error = vi.spyOn(app.log, 'error');
    try {
      const report = await keyward.handover.takeOver();
      expect(report).toMatchObject({ imported: 1, failed: 1 });
    } finally {
      create.mockRestore();
    }
    const logged = JSON.stringify(error.mock.calls);
    error.mockRestore();
    expect(logged).toMatch(/could not import the built-in API key/);
    expect(logged).not.toContain(failing);

    expect(await isBlockedForHost(failing)).toBe(true);
    const refused = await todos(failing);
    expect(refused.status).toBe(401);
    expect((await todos(fine)).status).toBe(200);
    expect((await (await admin()).resource(HANDOVER_RESOURCE).get()).body.data).toMatchObject({ pending: true, imported: 1, failed: 1 });
  });
});
