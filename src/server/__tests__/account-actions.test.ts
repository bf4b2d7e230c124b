import type { MockServer } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../constants';
import { createApp, createKey, createUser, setUpTodos, TODOS_ROLE, withKey } from './helpers';

/**
 * Hole 2: the host lets any signed-in user call some actions whatever the role. A stolen key
 * must not take over the account it acts for through them, nor through its role.
 */
describe('account actions with a key', () => {
  let app: MockServer;
  let user: any;
  let key: string;

  beforeAll(async () => {
    app = await createApp({ extraPlugins: ['data-source-main', 'ui-schema-storage', 'verification', 'file-manager', 'flow-engine', 'data-visualization', 'idp-oauth'] });
    ({ user } = await setUpTodos(app));
    ({ key } = await createKey(app, user));
    await app.db.getRepository('users').update({
      filterByTk: user.id,
      values: { email: 'todos@example.com', password: 'right-password' },
    });
  });

  afterAll(async () => {
    await app?.destroy();
  });

  const refused = (res: { status: number; body: any }, what: string) => {
    expect(res.status, what).toBe(403);
    expect(res.body.errors[0].code, what).toBe(ErrorCode.ACCOUNT_ACTION_REFUSED);
  };

  it("changes nothing of its owner's account", async () => {
    const attempts: Array<[string, Record<string, unknown>]> = [
      ['/api/users:updateProfile', { email: 'evil@example.com', phone: '123', username: 'evil' }],
      ['/api/auth:changePassword', { oldPassword: 'right-password', newPassword: 'x1234567', confirmPassword: 'x1234567' }],
      ['/api/users:setDefaultRole', { roleName: '__union__' }],
      ['/api/users:setDefaultRole', { roleName: TODOS_ROLE }],
      ['/api/users:updateLang', { appLang: 'zh-CN' }],
      ['/api/verifiers:bind', { verifier: 'sms', uuid: 'x' }],
      ['/api/verifiers:unbind', { verifier: 'sms' }],
      ['/api/smsOTP:create', { verifier: 'sms' }],
    ];
    for (const [url, body] of attempts) {
      refused(await withKey(app, key).post(url).send(body), url);
    }
    const after = await app.db.getRepository('users').findOne({ filterByTk: user.id });
    expect(after.get('email')).toBe('todos@example.com');
    expect(after.get('username')).toBe('todos');
    expect(await after.verifyPassword?.('right-password') ?? true).toBe(true);
  });

  it('signs nobody in or out, and reads no verifiers', async () => {
    for (const url of [
      '/api/auth:signIn',
      '/api/auth:signUp',
      '/api/auth:signOut',
      '/api/auth:syncCookies',
      '/api/auth:lostPassword',
      '/api/verifiers:listByUser',
    ]) {
      refused(await withKey(app, key).post(url).send({ account: 'todos', password: 'right-password' }), url);
    }
  });

  it('still answers what scripts need', async () => {
    for (const url of ['/api/auth:check', '/api/collections:list', '/api/roles:check', '/api/todos:list']) {
      const res = await withKey(app, key).get(url);
      expect(res.status, url).toBe(200);
    }
    const upload = await withKey(app, key).post('/api/attachments:create').attach('file', Buffer.from('hello'), 'hello.txt');
    expect(upload.status).toBe(200);
    expect(upload.body.data.createdById).toBe(user.id);
  });

  describe('a key whose role manages users', () => {
    let boss: any;
    let bossKey: string;
    let other: any;

    beforeAll(async () => {
      boss = await createUser(app, 'boss', ['admin', TODOS_ROLE]);
      other = await createUser(app, 'other', ['member']);
      ({ key: bossKey } = await createKey(app, boss, { role: { name: 'admin' } }, 'admin'));
    });

    it('never changes its own owner: row, password, roles', async () => {
      refused(await withKey(app, bossKey).post(`/api/users:update?filterByTk=${boss.id}`).send({ password: 'owned' }), 'update self');
      refused(
        await withKey(app, bossKey)
          .post(`/api/users:update?filter=${encodeURIComponent(JSON.stringify({ id: { $gt: 0 } }))}`)
          .send({ email: 'x@x' }),
        'update by filter',
      );
      refused(await withKey(app, bossKey).post(`/api/users:destroy?filterByTk=${boss.id}`), 'destroy self');
      refused(await withKey(app, bossKey).post(`/api/users/${boss.id}/roles:remove`).send([TODOS_ROLE]), 'own roles');
      refused(await withKey(app, bossKey).post(`/api/roles/${TODOS_ROLE}/users:remove`).send([boss.id]), 'role membership');
      refused(await withKey(app, bossKey).post('/api/usersAuthenticators:create').send({ userId: boss.id }), 'authenticators');
      refused(await withKey(app, bossKey).post('/api/issuedTokens:destroy?filterByTk=1'), 'sessions');
      expect(await app.db.getRepository('users.roles', boss.id).count()).toBe(2);
    });

    it('still manages other users, as its role allows', async () => {
      const res = await withKey(app, bossKey).post(`/api/users:update?filterByTk=${other.id}`).send({ nickname: 'renamed' });
      expect(res.status).toBe(200);
      expect((await withKey(app, bossKey).get('/api/users:list')).status).toBe(200);
    });
  });

  it('refuses to keys what the host allows to signed-in users but the table does not know', async () => {
    app.acl.allow('somePluginThing', 'doIt', 'loggedIn');
    app.resourceManager.define({ name: 'somePluginThing', actions: { doIt: async (ctx: any, next: any) => ((ctx.body = 'done'), next()) } });
    refused(await withKey(app, key).post('/api/somePluginThing:doIt'), 'unknown signed-in action');
  });
});
