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
    app = await createApp({ extraPlugins: ['data-source-main', 'ui-schema-storage', 'collection-sql', 'verification', 'file-manager', 'flow-engine', 'data-visualization', 'idp-oauth', 'field-m2m-array'] });
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
    for (const url of ['/api/auth:check', '/api/collections:list', '/api/roles:check', '/api/todos:list', '/api/authenticators:publicList']) {
      const res = await withKey(app, key).get(url);
      expect(res.status, url).toBe(200);
    }
    const upload = await withKey(app, key).post('/api/attachments:create').attach('file', Buffer.from('hello'), 'hello.txt');
    expect(upload.status).toBe(200);
    expect(upload.body.data.createdById).toBe(user.id);
  });

  describe('a key whose role is root', () => {
    let rootKey: string;

    beforeAll(async () => {
      const root = await app.db.getRepository('users').findOne({ filter: { id: 1 } });
      ({ key: rootKey } = await createKey(app, root, { role: { name: 'root' } }, 'root'));
    });

    it('reads no one-time code, verifier, session or revoked token, nor a password hash, by any path', async () => {
      const get = (url: string) => withKey(app, rootKey).get(url);
      const json = (value: unknown) => encodeURIComponent(JSON.stringify(value));
      const attempts: Array<[string, Promise<{ status: number; body: any }>]> = [
        ['verifications', get('/api/verifications:list')],
        ['otpRecords', get('/api/otpRecords:list')],
        ['usersVerifiers', get('/api/usersVerifiers:list')],
        ['issuedTokens', get('/api/issuedTokens:list')],
        ['tokenBlacklist', get('/api/tokenBlacklist:list')],
        ['usersAuthenticators', get('/api/usersAuthenticators:list')],
        ['a password behind an association', get(`/api/roles:list?filter=${json({ 'users.password': { $startsWith: '$' } })}`)],
        ['a filter on a password', get(`/api/users:list?filter=${json({ password: { $ne: null } })}`)],
        ['fields', get('/api/users:list?fields=id,password')],
        ['a chart of password hashes', withKey(app, rootKey).post('/api/charts:queryData').send({ collection: 'users', dimensions: [{ field: ['password'] }] })],
        ['a filter under $not', get(`/api/users:list?filter=${json({ $not: { password: { $notLike: '6%' } } })}`)],
        ['a filter under $and as an object', get(`/api/users:list?filter=${json({ $and: { 0: { password: { $like: '6%' } } } })}`)],
        ['a filterByTk object', get('/api/users:get?filterByTk[password][$ne]=1')],
        ['a chart field with a leading dot', withKey(app, rootKey).post('/api/charts:queryData').send({ collection: 'users', mode: 'sql', dimensions: [{ field: '.password' }, { field: 'id' }] })],
        ['a chart field through an association', withKey(app, rootKey).post('/api/charts:queryData').send({ collection: 'roles', mode: 'sql', dimensions: [{ field: 'users..password' }] })],
        ['a generic query through an association', withKey(app, rootKey).post('/api/todos:query').send({ dimensions: [{ field: ['createdBy', 'password'] }] })],
        ['a chart of tokens', withKey(app, rootKey).post('/api/charts:queryData').send({ collection: 'tokenBlacklist', dimensions: [{ field: ['token'] }] })],
        // The values of filterKeys are the filter that finds the row: found or not answers.
        [
          'filterKeys on a password',
          withKey(app, rootKey)
            .post('/api/todos:firstOrCreate?filterKeys[]=createdBy.password&filterKeys[]=title')
            .send({ title: 'a', 'createdBy.password': { $startsWith: '4' } }),
        ],
        // A variable that stops at a whole row: the host loads it with every column and prints it.
        ['the owner as a variable', get(`/api/todos:list?filter=${json({ title: '{{$user}}' })}`)],
        ['a user row as a variable', get(`/api/todos:list?filter=${json({ title: { $like: '{{ $user.createdBy }}' } })}`)],
        ['roles as a variable', get(`/api/todos:list?filter=${json({ title: { $in: '{{$user.roles}}' } })}`)],
      ];
      for (const [what, request] of attempts) {
        refused(await request, what);
      }
      expect((await get('/api/users:list?appends[]=roles')).status).toBe(200);
      expect((await get(`/api/users:list?filter=${json({ 'roles.name': 'root' })}`)).status).toBe(200);
    });

    it('works on data only: no permission table, setting or plugin record that no configuration permission names, and no keys in a chart', async () => {
      const configuration = (res: { status: number; body: any }, what: string) => {
        expect(res.status, what).toBe(403);
        expect(res.body.errors[0].code, what).toBe(ErrorCode.CONFIGURATION_REFUSED);
      };
      const send = (method: 'get' | 'post', url: string, body?: object) => withKey(app, rootKey)[method](url).send(body);
      const grant = await app.db.getRepository('dataSourcesRoles').findOne({ filter: { roleName: TODOS_ROLE } });
      const attempts: Array<[string, Promise<{ status: number; body: any }>]> = [
        ['a role strategy', send('post', `/api/dataSourcesRoles:update?filterByTk=${grant?.get('id')}`, { strategy: { actions: ['view', 'update'] } })],
        ['a role strategy, listed', send('get', '/api/dataSourcesRoles:list')],
        ['a collection permission', send('post', '/api/dataSourcesRolesResources:create', { roleName: TODOS_ROLE, name: 'users', dataSourceKey: 'main' })],
        ['an action permission', send('post', '/api/rolesResourcesActions:create', { name: 'update' })],
        ['the settings, by the generic update', send('post', '/api/systemSettings:update?filterByTk=1', { title: 'pwned' })],
        ['plugin records', send('get', '/api/applicationPlugins:list')],
        ['who holds which role', send('get', '/api/rolesUsers:list')],
        ['the settings in a chart', send('post', '/api/charts:queryData', { collection: 'systemSettings', dimensions: [{ field: ['title'] }] })],
        ['a chart through a data source the chart plugin does not know', send('post', '/api/charts:queryData', { dataSource: 'nope', collection: 'applicationPlugins', dimensions: [{ field: ['name'] }] })],
      ];
      for (const [what, request] of attempts) {
        configuration(await request, what);
      }
      expect((await app.db.getRepository('systemSettings').findOne()).get('title')).not.toBe('pwned');
      expect((await app.db.getRepository('dataSourcesRoles').findOne({ filter: { roleName: TODOS_ROLE } }))?.get('strategy')).toEqual(grant?.get('strategy'));
      for (const collection of ['apiKeys', 'apiKeyUsage']) {
        const res = await send('post', '/api/charts:queryData', { collection, dimensions: [{ field: ['id'] }] });
        expect(res.status, collection).toBe(403);
        expect(res.body.errors[0].code, collection).toBe(ErrorCode.MANAGED_BY_KEY);
      }
      // Data, and what any key may read, as before.
      for (const url of ['/api/todos:list', '/api/users:list', '/api/roles:list', '/api/collections:list', '/api/auth:check']) {
        expect((await send('get', url)).status, url).toBe(200);
      }
      expect((await send('post', '/api/todos:create', { title: 'from root' })).status).toBe(200);
      expect((await send('post', '/api/charts:queryData', { collection: 'todos', dimensions: [{ field: ['title'] }] })).status).toBe(200);
    });
  });

  it("reads not even its owner's password hash through a filter's {{ $user }} variable", async () => {
    const json = (value: unknown) => encodeURIComponent(JSON.stringify(value));
    for (const filter of [
      { createdAt: { $dateOn: '{{$user.password}}' } },
      { title: { $lte: '{{ $user.password }}' } },
      { $or: [{ title: { $gt: '{{$user.resetToken}}' } }] },
    ]) {
      const res = await withKey(app, key).get(`/api/todos:list?filter=${json(filter)}`);
      refused(res, JSON.stringify(filter));
      expect(JSON.stringify(res.body)).not.toMatch(/[0-9a-f]{32}/);
    }
    expect((await withKey(app, key).get(`/api/todos:list?filter=${json({ createdById: '{{$user.id}}' })}`)).status).toBe(200);
  });

  it('takes field lists as names only', async () => {
    const res = await withKey(app, key).get('/api/todos:list?sort[a]=title');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].code).toBe(ErrorCode.BAD_INPUT);
  });

  describe('a key whose role is admin', () => {
    let boss: any;
    let bossKey: string;
    let other: any;

    beforeAll(async () => {
      boss = await createUser(app, 'boss', ['admin', TODOS_ROLE]);
      other = await createUser(app, 'other', ['member']);
      ({ key: bossKey } = await createKey(app, boss, { role: { name: 'admin' } }, 'admin'));
    });

    const refusedAs = (res: { status: number; body: any }, what: string) => {
      expect(res.status, what).toBe(403);
      expect([ErrorCode.ACCOUNT_ACTION_REFUSED, ErrorCode.CONFIGURATION_REFUSED], what).toContain(res.body.errors[0].code);
    };

    it('never changes its own owner, however the id is spelled', async () => {
      const post = (url: string, body?: unknown) => withKey(app, bossKey).post(url).send(body as any);
      for (const id of [boss.id, `0${boss.id}`, `+${boss.id}`, `${boss.id}.0`, `%20${boss.id}`]) {
        refusedAs(await post(`/api/users:update?filterByTk=${id}`, { password: 'owned' }), `update ${id}`);
        refusedAs(await post(`/api/users/${id}/roles:add`, ['member']), `roles of ${id}`);
        refusedAs(await post(`/api/roles/member/users:add`, [String(id)]), `membership ${id}`);
      }
      refusedAs(await post(`/api/users:update?filter=${encodeURIComponent(JSON.stringify({ id: { $gt: 0 } }))}`, { email: 'x@x' }), 'update by filter');
      refusedAs(await post(`/api/users:destroy?filterByTk=${boss.id}`), 'destroy self');
      refusedAs(await post(`/api/roles/${TODOS_ROLE}/users:remove?filterByTk=${boss.id}`), 'role membership');
      refusedAs(await post('/api/roles:update?filterByTk=member', { users: [boss.id] }), 'roles:update with users');
      refusedAs(await post('/api/roles:create', { name: 'mine', snippets: ['pm.*'], users: [boss.id] }), 'roles:create with users');
      refusedAs(await post('/api/usersAuthenticators:create', { userId: boss.id }), 'authenticators');
      refusedAs(await post('/api/issuedTokens:destroy?filterByTk=1'), 'sessions');
      expect((await app.db.getRepository('users.roles', boss.id).find()).map((role: any) => role.name).sort()).toEqual(['admin', TODOS_ROLE]);
      expect(await app.db.getRepository('roles').count({ filter: { name: 'mine' } })).toBe(0);
    });

    it('runs no SQL and changes no configuration: a key works on data', async () => {
      const post = (url: string, body?: unknown) => withKey(app, bossKey).post(url).send(body as any);
      for (const [url, body] of [
        ['/api/flowSql:run', { sql: 'SELECT hash FROM "keywardApiKeys"' }],
        ['/api/flowSql:save', { uid: 'x', sql: 'SELECT 1' }],
        ['/api/sqlCollection:execute', { sql: 'SELECT hash FROM "keywardApiKeys"' }],
        ['/api/collections:create', { name: 'evil', fields: [] }],
        ['/api/pm:enable?filterByTk=api-keys'],
        [`/api/users:update?filterByTk=${other.id}`, { nickname: 'renamed' }],
        ['/api/roles:update?filterByTk=member', { snippets: ['pm.*'] }],
      ] as Array<[string, unknown]>) {
        const res = await post(url, body);
        expect(res.status, url).toBe(403);
        expect(res.body.errors[0].code, url).toBe(ErrorCode.CONFIGURATION_REFUSED);
        expect(JSON.stringify(res.body)).not.toMatch(/[0-9a-f]{64}/);
      }
    });

    it("grants nobody a role and changes no configuration through an association's links", async () => {
      const post = (url: string, body?: unknown) => withKey(app, bossKey).post(url).send(body as any);
      // The users' own associations: roles (rolesUsers), and a belongsTo on the user row.
      for (const action of ['add', 'set', 'remove', 'toggle']) {
        refusedAs(await post(`/api/users/${other.id}/roles:${action}`, ['root']), `users/<other>/roles:${action}`);
      }
      refusedAs(await post(`/api/users/${other.id}/createdBy:set`, [boss.id]), 'createdBy of another user');
      // A link whose other end a configuration permission covers: a role's menu, seen from the menu.
      app.acl.registerSnippet({ name: 'pm.test-menus', actions: ['testMenus:*'] });
      app.db.collection({ name: 'testMenus', fields: [{ type: 'belongsToMany', name: 'roles', target: 'roles', through: 'testMenusRoles' }] });
      await app.db.sync();
      const menu = await app.db.getRepository('testMenus').create({ values: {} });
      refusedAs(await post(`/api/testMenus/${menu.id}/roles:add`, ['member']), 'a menu given to a role');
      expect((await app.db.getRepository('users.roles', other.id).find()).map((role: any) => role.name)).toEqual(['member']);
      expect(await app.db.getRepository('testMenusRoles').count()).toBe(0);
    });

    it('takes a relation of another kind as writing both ends (belongsToArray keeps its ids on the source row)', async () => {
      app.acl.registerSnippet({ name: 'pm.test-menu-items', actions: ['testMenuItems:*'] });
      app.db.collection({
        name: 'testMenuItems',
        fields: [
          // On PostgreSQL the ids are an array of the target key's type.
          { type: 'array', name: 'todoIds', dataType: 'array', elementType: 'bigint' },
          { type: 'belongsToArray', name: 'todoList', target: 'todos', foreignKey: 'todoIds', targetKey: 'id' },
        ],
      });
      await app.db.sync();
      const item = await app.db.getRepository('testMenuItems').create({ values: {} });
      const res = await withKey(app, bossKey).post(`/api/testMenuItems/${item.id}/todoList:set`).send([1]);
      refusedAs(res, 'a configuration row changed through its belongsToArray');
    });

    it("still links data rows through an association, users' included", async () => {
      app.db.collection({ name: 'projects', fields: [{ type: 'belongsToMany', name: 'members', target: 'users', through: 'projectsMembers' }] });
      await app.db.sync();
      const project = await app.db.getRepository('projects').create({ values: {} });
      // The host asks for `update` on the source to link; its role strategy covers collections it knows.
      app.acl.appendStrategyResource('projects');
      const res = await withKey(app, bossKey).post(`/api/projects/${project.id}/members:add`).send([other.id]);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(await app.db.getRepository('projectsMembers').count()).toBe(1);
    });

    it('still reads what its role may read, configuration included', async () => {
      for (const url of ['/api/users:list', '/api/roles:list', '/api/collections:list']) {
        expect((await withKey(app, bossKey).get(url)).status, url).toBe(200);
      }
    });
  });

  it('refuses to keys what the host allows to signed-in users but the table does not know', async () => {
    app.acl.allow('somePluginThing', 'doIt', 'loggedIn');
    app.resourceManager.define({ name: 'somePluginThing', actions: { doIt: async (ctx: any, next: any) => ((ctx.body = 'done'), next()) } });
    refused(await withKey(app, key).post('/api/somePluginThing:doIt'), 'unknown signed-in action');
  });
});
