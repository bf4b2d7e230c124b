import type { MockServer } from '@nocobase/test';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, KEY_PREFIX } from '../../constants';
import { generateKey } from '../verification/key-format';
import { createApp, createKey, createUser, setUpTodos, TODOS_ROLE, withHeaders, withKey } from './helpers';

describe('keys that must not work', () => {
  let app: MockServer;
  let alice: { id: number };

  const refusedWith = async (key: string, code: string, status = 401, headers: Record<string, string> = {}) => {
    const res = await withKey(app, key, headers).get('/api/todos:list');
    expect(res.status).toBe(status);
    expect(res.body.errors[0].code).toBe(code);
    expect(res.body.errors[0].message).toEqual(expect.any(String));
    expect(JSON.stringify(res.body)).not.toContain(key);
    return res;
  };

  beforeAll(async () => {
    app = await createApp();
    ({ user: alice } = await setUpTodos(app));
  });

  afterAll(async () => {
    await app?.destroy();
  });

  it('an expired key, once its time has passed', async () => {
    const { key } = await createKey(app, alice, { expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect((await withKey(app, key).get('/api/todos:list')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    await refusedWith(key, ErrorCode.EXPIRED);
  });

  it('a disabled key', async () => {
    const { key, record, agent } = await createKey(app, alice);
    expect((await withKey(app, key).get('/api/todos:list')).status).toBe(200);
    await agent.resource('apiKeys').update({ filterByTk: record.id, values: { enabled: false } });
    await refusedWith(key, ErrorCode.DISABLED);
  });

  it('a deleted key', async () => {
    const { key, record } = await createKey(app, alice);
    expect((await withKey(app, key).get('/api/todos:list')).status).toBe(200);
    await app.db.getRepository('apiKeys').destroy({ filterByTk: record.id });
    await refusedWith(key, ErrorCode.INVALID);
  });

  it('a key whose owner lost its role, through the host API or the database', async () => {
    const root = await app.db.getRepository('users').findOne({ filter: { id: 1 } });
    const rootAgent = await app.agent().login(root);

    const bob = await createUser(app, 'bob', [TODOS_ROLE, 'member']);
    const { key: bobKey } = await createKey(app, bob);
    expect((await withKey(app, bobKey).get('/api/todos:list')).status).toBe(200);
    const removed = await rootAgent.post(`/api/roles/${TODOS_ROLE}/users:remove`).send([bob.id]);
    expect(removed.status).toBe(200);
    await refusedWith(bobKey, ErrorCode.ROLE_REVOKED);

    const carol = await createUser(app, 'carol', [TODOS_ROLE, 'member']);
    const { key: carolKey } = await createKey(app, carol);
    expect((await withKey(app, carolKey).get('/api/todos:list')).status).toBe(200);
    await app.db.getRepository('rolesUsers').destroy({ filter: { userId: carol.id, roleName: TODOS_ROLE } });
    await refusedWith(carolKey, ErrorCode.ROLE_REVOKED);
  });

  it('a key whose owner is gone: deleted with the user, or refused if the row went behind our back', async () => {
    const dave = await createUser(app, 'dave', [TODOS_ROLE]);
    const { key } = await createKey(app, dave);
    expect((await withKey(app, key).get('/api/todos:list')).status).toBe(200);
    await app.db.getRepository('users').destroy({ filterByTk: dave.id });
    await refusedWith(key, ErrorCode.INVALID);

    const erin = await createUser(app, 'erin-gone', [TODOS_ROLE]);
    const { key: erinKey } = await createKey(app, erin);
    expect((await withKey(app, erinKey).get('/api/todos:list')).status).toBe(200);
    // As a database tool would: no hooks, so the keys stay.
    await app.db.getModel('users').destroy({ where: { id: erin.id }, hooks: false });
    await app.emitAsync('cache:del:roles', { userId: erin.id });
    await refusedWith(erinKey, ErrorCode.OWNER_GONE);
  });

  describe('a key that asks for another role', () => {
    let key: string;

    beforeAll(async () => {
      const erin = await createUser(app, 'erin', [TODOS_ROLE, 'admin']);
      ({ key } = await createKey(app, erin));
    });

    it('is refused for X-Role of any other role, and works with its own', async () => {
      for (const role of ['admin', 'root', '__union__', 'anonymous']) {
        await refusedWith(key, ErrorCode.ROLE_SWITCH_REFUSED, 403, { 'X-Role': role });
      }
      expect((await withKey(app, key, { 'X-Role': TODOS_ROLE }).get('/api/todos:list')).status).toBe(200);
    });

    it('acts only as its role, even in union role mode', async () => {
      expect((await withKey(app, key).get('/api/users:list')).status).toBe(403);
      await app.db.getRepository('systemSettings').update({ filter: { id: 1 }, values: { roleMode: 'only-use-union' } });
      await app.cache.del('app:systemSettings');
      try {
        expect((await withKey(app, key).get('/api/users:list')).status).toBe(403);
        expect((await withKey(app, key).get('/api/todos:list')).status).toBe(200);
      } finally {
        await app.db.getRepository('systemSettings').update({ filter: { id: 1 }, values: { roleMode: 'default' } });
        await app.cache.del('app:systemSettings');
      }
    });
  });

  describe('malformed input: a 401 with a code, never a 500', () => {
    const valid = generateKey();
    const cases: Array<[string, Record<string, string>, string]> = [
      ['an unknown well-formed key', { Authorization: `Bearer ${valid}` }, ErrorCode.INVALID],
      ['a bad checksum', { Authorization: `Bearer ${valid.slice(0, -1)}${valid.endsWith('a') ? 'b' : 'a'}` }, ErrorCode.INVALID],
      ['a truncated key', { Authorization: `Bearer ${valid.slice(0, 20)}` }, ErrorCode.INVALID],
      ['a 10 KB key', { Authorization: `Bearer ${KEY_PREFIX}${'a'.repeat(10 * 1024)}` }, ErrorCode.INVALID],
      ['non-ASCII', { Authorization: `Bearer ${KEY_PREFIX}${'\u00e9'.repeat(49)}` }, ErrorCode.INVALID],
      ['junk in X-API-Key', { 'X-API-Key': 'sk_live_123' }, ErrorCode.INVALID],
      ['our authenticator named without a key', { 'X-Authenticator': 'keyward', Authorization: 'Bearer not-a-key' }, ErrorCode.INVALID],
      ['an empty bearer', { Authorization: 'Bearer ' }, 'INVALID_TOKEN'],
      ['a wrong prefix', { Authorization: `Bearer sk_live_${valid.slice(KEY_PREFIX.length)}` }, 'INVALID_TOKEN'],
      ['a 10 KB token without our prefix', { Authorization: `Bearer ${'x'.repeat(10 * 1024)}` }, 'INVALID_TOKEN'],
    ];

    it.each(cases)('%s', async (_, headers, code) => {
      const res = await withHeaders(app, headers).get('/api/todos:list');
      expect(res.status).toBe(401);
      expect(res.body.errors[0].code).toBe(code);
    });
  });

  it('does not depend on APP_KEY or the JWT secret, and knowing them forges nothing', async () => {
    const { key } = await createKey(app, alice);
    const forged = jwt.sign({ userId: alice.id, roleName: TODOS_ROLE }, (app.authManager.jwt as any).secret());
    await refusedWith(forged, ErrorCode.INVALID, 401, { 'X-API-Key': forged });
    const jwtOptions = (app.authManager.jwt as any).options;
    const { secret } = jwtOptions;
    const appKey = process.env.APP_KEY;
    jwtOptions.secret = 'a-completely-different-secret';
    process.env.APP_KEY = 'another-app-key';
    try {
      expect((await withKey(app, key).get('/api/todos:list')).status).toBe(200);
    } finally {
      jwtOptions.secret = secret;
      process.env.APP_KEY = appKey;
    }
  });
});
