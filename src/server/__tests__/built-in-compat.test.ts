import type { MockServer } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../constants';
import { createApp, withKey } from './helpers';

/**
 * The built-in "Auth: API keys" plugin's API, as its own tests and its users call it: the root
 * user's default role sent whole, `expiresIn` in seconds, the `Authorization` header, listing,
 * deleting. What differs on purpose: a refusal is JSON with a code (not plain text), and the
 * key is not a JWT.
 */
describe('the built-in plugin’s API, with Keyward', () => {
  let app: MockServer;
  let root: any;
  let other: any;
  let rootAgent: any;
  let role: any;

  beforeAll(async () => {
    app = await createApp();
    const users = app.db.getRepository('users');
    root = await users.findOne({ appends: ['roles'] });
    // The root role cannot be given to anyone else.
    other = await users.create({ values: { nickname: 'test', roles: ['admin', 'member'] } });
    await app.db.getRepository('roles').create({ values: { name: 'TEST_ROLE' } });
    role = await app.db.getRepository<any>('users.roles', root.id).findOne({ where: { default: true } });
    rootAgent = await app.agent().login(root);
  });

  afterAll(async () => {
    await app?.destroy();
  });

  const create = (agent: any, values: Record<string, unknown>) => agent.resource('apiKeys').create({ values });

  it('creates a key for the default role, sent whole, expiring in seconds; the key works', async () => {
    const res = await create(rootAgent, { name: 'TEST', role: role.toJSON(), expiresIn: 60 * 60 * 24 });
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveProperty('token');
    expect(res.body.data.roleName).toBe(role.name);
    const check = await withKey(app, res.body.data.token).get('/api/auth:check');
    expect(check.body.data.nickname).toBe(root.nickname);
  });

  it('refuses a role that is not the caller’s', async () => {
    const res = await create(rootAgent, { name: 'other role', role: { name: 'TEST_ROLE' }, expiresIn: 60 });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ message: 'Role not found', code: ErrorCode.ROLE_NOT_FOUND });
  });

  it("lists and deletes the caller's keys only; a deleted key stops working", async () => {
    const otherAgent = await app.agent().login(other);
    expect((await otherAgent.resource('apiKeys').list()).body.data).toHaveLength(0);
    const mine = await create(otherAgent, { name: 'TEST_USER_KEY', role: { name: 'admin' }, expiresIn: 180 * 24 * 60 * 60 });
    expect((await otherAgent.resource('apiKeys').list()).body.data.map((key: any) => key.name)).toEqual(['TEST_USER_KEY']);

    const [rootKey] = (await rootAgent.resource('apiKeys').list()).body.data;
    await otherAgent.resource('apiKeys').destroy({ filterByTk: rootKey.id });
    expect((await rootAgent.resource('apiKeys').list()).body.data.map((key: any) => key.id)).toContain(rootKey.id);

    await otherAgent.resource('apiKeys').destroy({ filterByTk: mine.body.data.id });
    expect((await otherAgent.resource('apiKeys').list()).body.data).toHaveLength(0);
    const after = await withKey(app, mine.body.data.token).get('/api/auth:check');
    expect(after.status).toBe(401);
  });

  it("is not bound by the session token policy", async () => {
    const key = (await create(rootAgent, { name: 'policy', role: role.toJSON(), expiresIn: 60 * 60 })).body.data.token;
    await app.db.getRepository('tokenControlConfig').update({
      filterByTk: 'token-policy-config',
      values: { config: { tokenExpirationTime: '1s', sessionExpirationTime: '1s', expiredTokenRenewLimit: '1s' } },
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const check = await withKey(app, key).get('/api/auth:check');
    expect(check.body.data.nickname).toBe(root.nickname);
  });
});
