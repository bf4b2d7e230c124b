import type { MockServer } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_PREFIX, PACKAGE_NAME, TABLE } from '../../constants';
import { hashKey } from '../verification/key-format';
import type PluginKeywardServer from '../plugin';
import { createApp, createKey, setUpTodos, withKey } from './helpers';

/** Every SQL statement the app runs while `work` runs. */
async function recordSql(app: MockServer, work: () => Promise<unknown>) {
  const statements: string[] = [];
  const options = (app.db.sequelize as unknown as { options: { logging: unknown } }).options;
  const previous = options.logging;
  options.logging = (sql: string) => void statements.push(sql);
  try {
    await work();
  } finally {
    options.logging = previous;
  }
  return statements;
}

describe('what is stored, and what a request costs', () => {
  let app: MockServer;
  let plugin: PluginKeywardServer;
  let key: string;
  let keyId: number;

  beforeAll(async () => {
    app = await createApp();
    plugin = app.pm.get(PACKAGE_NAME) as PluginKeywardServer;
    const { user } = await setUpTodos(app);
    const created = await createKey(app, user);
    key = created.key;
    keyId = created.record.id;
    expect((await withKey(app, key).get('/api/todos:list')).status).toBe(200);
    await plugin.tracker.flush();
  });

  afterAll(async () => {
    await app?.destroy();
  });

  it('stores the key string nowhere, in any table', async () => {
    const secret = key.slice(KEY_PREFIX.length);
    const tables: string[] = await app.db.sequelize.getQueryInterface().showAllTables();
    expect(tables.length).toBeGreaterThan(10);
    let rowsSeen = 0;
    for (const table of tables) {
      const [rows] = await app.db.sequelize.query(`SELECT * FROM "${table}"`);
      rowsSeen += rows.length;
      const dump = JSON.stringify(rows);
      expect(dump, table).not.toContain(secret.slice(0, 16));
      expect(dump, table).not.toContain(secret.slice(-16));
    }
    expect(rowsSeen).toBeGreaterThan(0);
    const [[row]] = (await app.db.sequelize.query(`SELECT * FROM "${TABLE}" WHERE id = ${keyId}`)) as any;
    expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hands an audit log the new key without its secret, where a general create is audited', async () => {
    const logged: unknown[] = [];
    app.auditManager.setLogger({ log: async (entry: unknown) => void logged.push(entry) } as any);
    // As an audit-log plugin registers what it audits: every create.
    app.auditManager.registerActions(['create']);
    try {
      const user = await app.db.getRepository('users').findOne({ filter: { username: 'todos' } });
      const { key: another } = await createKey(app, user);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const created = logged.filter((entry: any) => entry.resource === 'apiKeys' && entry.action === 'create');
      expect(created).toHaveLength(1);
      expect((created[0] as any).metadata.response.body.data.hint).toEqual(expect.any(String));
      expect(JSON.stringify(logged)).not.toContain(another.slice(KEY_PREFIX.length, KEY_PREFIX.length + 16));
    } finally {
      app.auditManager.setLogger(undefined as any);
    }
  });

  it("keeps the owner's hidden fields (password hash, reset token) out of the cache and the request", async () => {
    const owner = await app.db.getRepository('users').findOne({ filter: { username: 'todos' } });
    await owner.update({ password: 'a-password-1', resetToken: 'a-reset-token' });
    plugin.store.clear();
    const record = await plugin.store.find(hashKey(key));
    expect(record?.user?.id).toBe(owner.id);
    expect(record?.user).not.toHaveProperty('password');
    expect(record?.user).not.toHaveProperty('resetToken');
  });

  it('serves a known key from the cache: no query about keys and no write at all', async () => {
    const statements = await recordSql(app, async () => {
      for (let i = 0; i < 10; i++) {
        expect((await withKey(app, key).get('/api/todos:list')).status).toBe(200);
      }
    });
    expect(statements.filter((sql) => sql.includes(TABLE))).toEqual([]);
    expect(statements.filter((sql) => /\b(INSERT|UPDATE|DELETE)\b/i.test(sql))).toEqual([]);
  });

  it("adds no query of its own to a key's filter with a variable and no date", async () => {
    const list = (filter: object) => withKey(app, key).get(`/api/todos:list?filter=${encodeURIComponent(JSON.stringify(filter))}`);
    await list({ title: 'x' });
    const plain = await recordSql(app, () => list({ title: 'x' }));
    // The host looks the user up once to fill in the variable; the date check needs no look of its own.
    const filled = await recordSql(app, () => list({ title: '{{$user.nickname}}' }));
    expect(filled.length).toBe(plain.length + 1);
  });

  it('looks a key up with one query on a cache miss', async () => {
    plugin.store.clear();
    const statements = await recordSql(app, () => withKey(app, key).get('/api/todos:list'));
    expect(statements.filter((sql) => sql.includes(TABLE))).toHaveLength(1);
  });

  it('tells a session token from an imported key once per request, not in every step that asks', async () => {
    const store = plugin.store as unknown as { isImportedToken(token: string): boolean; imported: Set<string> };
    store.imported.add(hashKey('an imported token'));
    const ask = store.isImportedToken.bind(store);
    let asked = 0;
    store.isImportedToken = (token: string) => {
      asked++;
      return ask(token);
    };
    try {
      const session = await app.agent().login(await app.db.getRepository('users').findOne({ filterByTk: 1 }), 'root');
      expect((await session.get('/api/todos:list')).status).toBe(200);
      expect(asked).toBe(1);
    } finally {
      store.isImportedToken = ask;
      store.imported.delete(hashKey('an imported token'));
    }
  });

  it('refuses malformed keys without any query', async () => {
    const badChecksum = `${key.slice(0, -1)}${key.endsWith('a') ? 'b' : 'a'}`;
    const statements = await recordSql(app, async () => {
      expect((await withKey(app, badChecksum).get('/api/todos:list')).status).toBe(401);
      expect((await withKey(app, `${KEY_PREFIX}short`).get('/api/todos:list')).status).toBe(401);
    });
    expect(statements).toEqual([]);
  });

  it('writes lastUsedAt at most once per key per flush, and on stop', async () => {
    const lastUsed = async () =>
      (await app.db.getRepository('apiKeys').findOne({ filterByTk: keyId })).get('lastUsedAt') as Date | null;
    const first = await lastUsed();
    expect(first).toBeInstanceOf(Date);

    for (let i = 0; i < 5; i++) {
      await withKey(app, key).get('/api/todos:list');
    }
    expect(await lastUsed()).toEqual(first);
    const writes = await recordSql(app, () => plugin.tracker.flush());
    expect(writes.filter((sql) => /\bUPDATE\b/i.test(sql))).toHaveLength(1);
    expect((await lastUsed())!.getTime()).toBeGreaterThan(first!.getTime());
    expect(await recordSql(app, () => plugin.tracker.flush())).toEqual([]);

    // Stopping the app flushes what is pending.
    await withKey(app, key).get('/api/todos:list');
    const onStop = await recordSql(app, () => plugin.tracker.stop());
    plugin.tracker.start();
    expect(onStop.filter((sql) => /\bUPDATE\b/i.test(sql))).toHaveLength(1);
  });
});
