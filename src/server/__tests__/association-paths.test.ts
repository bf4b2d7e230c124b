import type { MockServer } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../constants';
import { disableWorkflowsOnKeys } from '../restrictions/no-paths-to-keys';
import { createApp, createKey, createUser, setUpTodos, SNIPPET, TODOS_ROLE, withKey } from './helpers';

/**
 * Hole 1: the host serves associations of any collection on demand (`apiKeys/<id>/createdBy`),
 * and the key-management permission must not reach the users and roles behind a key.
 */
describe('association paths under apiKeys', () => {
  let app: MockServer;
  let admin: { id: number };
  let mallory: { id: number };
  let adminKeyId: number;
  let malloryKeyId: number;
  let malloryKey: string;

  beforeAll(async () => {
    app = await createApp({ extraPlugins: ['data-source-main', 'workflow', 'workflow-action-trigger', 'custom-variables'] });
    await setUpTodos(app);
    // A role that may manage its own keys and nothing else.
    await app.db.getRepository('roles').create({ values: { name: 'key-managers', snippets: [SNIPPET] } });
    mallory = await createUser(app, 'mallory', ['key-managers']);
    admin = await createUser(app, 'boss', ['admin', TODOS_ROLE]);
    ({ record: { id: adminKeyId } } = await createKey(app, admin));
    ({ key: malloryKey, record: { id: malloryKeyId } } = await createKey(app, mallory, { role: { name: 'key-managers' } }, 'key-managers'));
  });

  afterAll(async () => {
    await app?.destroy();
  });

  const refused = (res: { status: number; body: any }) => {
    expect(res.status).toBe(403);
    expect(res.body.errors[0].code).toBe(ErrorCode.ACTION_NOT_ALLOWED);
  };

  it("reads no key owner's profile, by session or by key", async () => {
    const agent = await app.agent().login(mallory, 'key-managers');
    for (const id of [adminKeyId, malloryKeyId]) {
      for (const action of ['get', 'list']) {
        const bySession = await agent.get(`/api/apiKeys/${id}/createdBy:${action}`);
        refused(bySession);
        expect(JSON.stringify(bySession.body)).not.toContain('boss');
        refused(await withKey(app, malloryKey).get(`/api/apiKeys/${id}/createdBy:${action}`));
      }
    }
  });

  it("sets no password or roles through a key's owner", async () => {
    const agent = await app.agent().login(mallory, 'key-managers');
    const before = await app.db.getRepository('users').findOne({ filterByTk: admin.id });
    refused(await agent.post(`/api/apiKeys/${adminKeyId}/createdBy:update?filterByTk=${admin.id}`).send({ password: 'owned123' }));
    refused(
      await agent
        .post(`/api/apiKeys/${malloryKeyId}/createdBy:update?filterByTk=${mallory.id}`)
        .send({ roles: ['key-managers', 'admin'] }),
    );
    const after = await app.db.getRepository('users').findOne({ filterByTk: admin.id });
    expect(after.get('password')).toBe(before.get('password'));
    const roles = await app.db.getRepository('users.roles', mallory.id).find();
    expect(roles.map((role: any) => role.name)).toEqual(['key-managers']);
  });

  it("changes and deletes no role or user behind a key", async () => {
    const agent = await app.agent().login(mallory, 'key-managers');
    refused(
      await agent
        .post(`/api/apiKeys/${malloryKeyId}/role:update?filterByTk=key-managers`)
        .send({ snippets: ['pm.*', 'ui.*', 'app'], strategy: { actions: ['view', 'create', 'update', 'destroy'] } }),
    );
    refused(await agent.post(`/api/apiKeys/${adminKeyId}/role:destroy?filterByTk=${TODOS_ROLE}`));
    refused(await agent.post(`/api/apiKeys/${adminKeyId}/createdBy:destroy?filterByTk=${admin.id}`));
    const role = await app.db.getRepository('roles').findOne({ filterByTk: 'key-managers' });
    expect(role.get('snippets')).toEqual([SNIPPET]);
    expect(await app.db.getRepository('roles').count({ filter: { name: TODOS_ROLE } })).toBe(1);
    expect(await app.db.getRepository('users').count({ filter: { id: admin.id } })).toBe(1);
  });

  it('refuses association paths to an administrator too: only the five actions exist', async () => {
    const agent = await app.agent().login(admin, 'admin');
    refused(await agent.get(`/api/apiKeys/${adminKeyId}/createdBy:get`));
    refused(await agent.get(`/api/apiKeys/${adminKeyId}/role:get`));
  });

  it('refuses any other action on apiKeys, for a manager and an administrator', async () => {
    for (const [user, role] of [[mallory, 'key-managers'], [admin, 'admin']] as const) {
      const agent = await app.agent().login(user, role);
      for (const action of ['export', 'firstOrCreate', 'updateOrCreate', 'move', 'query', 'set', 'add', 'toggle']) {
        const res = await agent.post(`/api/apiKeys:${action}`).send({ values: { name: 'x' } });
        expect(res.status, action).toBeGreaterThanOrEqual(400);
        expect(res.status, action).toBeLessThan(500);
      }
    }
    expect(await app.db.getRepository('apiKeys').count({ filter: { name: 'x' } })).toBe(0);
  });

  it('refuses a field an administrator added from another collection to the keys', async () => {
    app.db.getCollection('users').setField('keys', { type: 'hasMany', target: 'apiKeys', foreignKey: 'createdById' });
    const agent = await app.agent().login(admin, 'admin');
    refused(await agent.get(`/api/users/${admin.id}/keys:list`));
    app.db.getCollection('users').removeField('keys');
  });

  it('lets no collection gain a field that points at the keys', async () => {
    const agent = await app.agent().login(admin, 'admin');
    const res = await agent
      .post('/api/collections/users/fields:create')
      .send({ name: 'keys', type: 'hasMany', target: 'apiKeys', foreignKey: 'createdById', interface: 'o2m' });
    expect(res.status).toBe(403);
    expect(res.body.errors[0].code).toBe(ErrorCode.ACTION_NOT_ALLOWED);
    expect(app.db.getCollection('users').getField('keys')).toBeUndefined();
    const usage = await agent
      .post('/api/collections/users/fields:create')
      .send({ name: 'keyUsage', type: 'hasMany', target: 'apiKeyUsage', foreignKey: 'keyId', interface: 'o2m' });
    expect(usage.status).toBe(403);
    expect(app.db.getCollection('users').getField('keyUsage')).toBeUndefined();
  });
  const notAllowed = (res: { status: number; body: any }, what: string) => {
    expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(403);
    expect(res.body.errors[0].code, what).toBe(ErrorCode.ACTION_NOT_ALLOWED);
  };

  it('lets no field reach the keys through the data-source manager, nor any new field on them', async () => {
    const agent = await app.agent().login(admin, 'admin');
    const toKeys = { type: 'hasMany', target: 'apiKeys', foreignKey: 'createdById', sourceKey: 'id', interface: 'o2m' };
    // The data-source manager applies the main source's fields to the main database.
    notAllowed(await agent.post('/api/dataSourcesCollections/main.users/fields:create').send({ name: 'myKeys', ...toKeys }), 'users → keys');
    notAllowed(await agent.post('/api/dataSourcesCollections/main.users/fields:update?filterByTk=myKeys').send(toKeys), 'users → keys by update');
    expect(app.db.getCollection('users').getField('myKeys')).toBeUndefined();
    // Another name for the hash column would be read past the guard.
    const alias = { type: 'string', field: 'hash', interface: 'input' };
    notAllowed(await agent.post('/api/dataSourcesCollections/main.apiKeys/fields:create').send({ name: 'h3', ...alias }), 'alias by the data-source manager');
    notAllowed(await agent.post('/api/dataSourcesCollections/main.apiKeyUsage/fields:create').send({ name: 'note', type: 'string', interface: 'input' }), 'a field on usage');
    // The collection manager knows only the collections it made (the host answers 500 here).
    expect((await agent.post('/api/collections/apiKeys/fields:create').send({ name: 'h4', ...alias })).status).not.toBe(200);
    expect(app.db.getCollection('apiKeys').getField('h3')).toBeUndefined();
    expect(app.db.getCollection('apiKeys').getField('h4')).toBeUndefined();
  });

  it('makes no collection over the tables of the keys', async () => {
    const agent = await app.agent().login(admin, 'admin');
    const fields = [{ name: 'id', type: 'bigInt', primaryKey: true }, { name: 'hash', type: 'string' }, { name: 'roleName', type: 'string' }];
    // A collection without a table name of its own reads the table of its name, in any case on SQLite.
    for (const name of ['keywardapikeys', 'KeywardApiKeyUsage', 'keyward_api_keys']) {
      notAllowed(await agent.post('/api/collections:create').send({ name, autoGenId: false, timestamps: false, fields }), name);
      expect(app.db.getCollection(name), name).toBeUndefined();
    }
    for (const viewName of ['keywardApiKeys', 'KEYWARDAPIKEYS', 'main.keywardApiKeyUsage']) {
      const res = await agent
        .post('/api/collections:create')
        .send({ name: 'leak', view: true, viewName, template: 'view', autoGenId: false, timestamps: false, createdBy: false, updatedBy: false, fields });
      notAllowed(res, viewName);
      expect(app.db.getCollection('leak'), viewName).toBeUndefined();
    }
  });

  it('makes no join table of a field over the tables of the keys, in any case', async () => {
    const agent = await app.agent().login(admin, 'admin');
    const before = app.db.getCollection('apiKeys').model.rawAttributes;
    // The host defines the join table as a collection of that name, over whatever table has it.
    for (const [collection, through] of [['roles', 'keywardapikeys'], ['users', 'KEYWARDAPIKEYUSAGE'], ['roles', 'keyward_api_keys']]) {
      const res = await agent
        .post(`/api/collections/${collection}/fields:create`)
        .send({ name: 'viaKeys', type: 'belongsToMany', interface: 'm2m', target: 'users', through, foreignKey: 'fk1', otherKey: 'createdById', targetKey: 'id' });
      notAllowed(res, through);
      expect(app.db.getCollection(through), through).toBeUndefined();
      expect(app.db.getCollection(collection).getField('viaKeys'), through).toBeUndefined();
    }
    // Nor a target named as the table is.
    notAllowed(
      await agent.post('/api/collections/users/fields:create').send({ name: 'viaKeys', type: 'hasMany', interface: 'o2m', target: 'KeywardApiKeys', foreignKey: 'createdById' }),
      'target',
    );
    // Defined in code, past the collection manager, it is refused too.
    expect(() => app.db.collection({ name: 'keywardapikeys', fields: [{ name: 'hash', type: 'string' }] })).toThrow(/tables of API keys/);
    expect(app.db.getCollection('keywardapikeys')).toBeUndefined();
    expect(app.db.getCollection('apiKeys').model.rawAttributes).toBe(before);
  });

  it('binds no workflow to the keys or their usage, whatever its trigger', async () => {
    const agent = await app.agent().login(admin, 'admin');
    for (const [type, collection] of [
      ['action', 'apiKeys'],
      ['action', 'main:apiKeys'],
      ['collection', 'main:apiKeys'],
      ['collection', 'apiKeyUsage'],
    ]) {
      const config = { collection, global: true, actions: ['create', 'update'], mode: 1 };
      notAllowed(await agent.post('/api/workflows:create').send({ title: 'capture', type, enabled: true, config }), `${type} on ${collection}`);
    }
    const other = await agent.post('/api/workflows:create').send({ title: 'todos', type: 'action', enabled: true, config: { collection: 'todos', global: true, actions: ['create'] } });
    expect(other.status).toBe(200);
    notAllowed(
      await agent.post(`/api/workflows:update?filterByTk=${other.body.data.id}`).send({ config: { collection: 'main:apiKeys', global: true, actions: ['create'] } }),
      'moved onto the keys',
    );
    expect(await app.db.getRepository('workflows').count({ filter: { title: 'capture' } })).toBe(0);
    // Nor saved disabled: run by hand (workflows:execute), its condition asks about any key row.
    notAllowed(
      await agent.post('/api/workflows:create').send({ title: 'off', type: 'collection', enabled: false, config: { collection: 'apiKeys', mode: 1 } }),
      'saved disabled',
    );
    // One saved before the guard can be neither turned on nor run by hand.
    const before = await app.db.getRepository('workflows').create({ values: { title: 'before', type: 'collection', enabled: false, config: { collection: 'todos', mode: 1 } } });
    const onKeys = { collection: 'apiKeys', mode: 1, condition: { name: { $ne: null } } };
    await app.db.getModel('workflows').update({ config: onKeys }, { where: { id: before.get('id') }, hooks: false });
    notAllowed(await agent.post(`/api/workflows:update?filterByTk=${before.get('id')}`).send({ enabled: true }), 'turned on');
    notAllowed(await agent.post(`/api/workflows:execute?filterByTk=${before.get('id')}`).send({ values: { data: malloryKeyId } }), 'run by hand');
    expect(await app.db.getRepository('executions').count({ filter: { workflowId: before.get('id') } })).toBe(0);
  });

  it('queries no key row through a database view, nor a custom variable, even for root', async () => {
    const root = await app.db.getRepository('users').findOne({ filter: { id: 1 } });
    const agent = await app.agent().login(root, 'root');
    for (const table of ['keywardApiKeys', 'keywardApiKeyUsage', 'KEYWARDAPIKEYS', 'public.keywardApiKeys']) {
      notAllowed(await agent.get(`/api/dbViews:query?filterByTk=${table}`), `dbViews:query ${table}`);
      notAllowed(await agent.get(`/api/dbViews:get?filterByTk=${table}`), `dbViews:get ${table}`);
    }
    for (const collection of ['main:apiKeys', 'apiKeys', 'main:apiKeyUsage']) {
      const options = { collection, aggregator: 'max', params: { field: 'createdById', filter: { id: malloryKeyId } } };
      notAllowed(await agent.post('/api/customVariables:create').send({ name: `k${collection.length}`, label: 'k', declaredAt: 'x', type: 'aggregate', options }), collection);
    }
  });

  it("adds no node on the keys to any workflow: a query, create or update node", async () => {
    const agent = await app.agent().login(admin, 'admin');
    const workflow = await agent.post('/api/workflows:create').send({ title: 'on todos', type: 'collection', enabled: false, config: { mode: 1, collection: 'todos' } });
    expect(workflow.status).toBe(200);
    for (const [type, collection] of [['update', 'apiKeys'], ['create', 'main:apiKeys'], ['query', 'apiKeyUsage']]) {
      const config = { collection, params: { filter: { id: 1 }, values: { createdById: mallory.id } } };
      notAllowed(await agent.post(`/api/workflows/${workflow.body.data.id}/nodes:create`).send({ type, config }), `${type} node on ${collection}`);
    }
  });

  it('writes key rows only through Keyward: a repository call elsewhere (a workflow node, an import) is refused', async () => {
    const keys = app.db.getRepository('apiKeys');
    const forged = { name: 'forged', roleName: TODOS_ROLE, hash: 'f'.repeat(64), hint: 'keyward_…ffff', enabled: true };
    await expect(keys.create({ values: forged, context: { state: { currentUser: { id: admin.id } } } })).rejects.toMatchObject({ code: ErrorCode.ACTION_NOT_ALLOWED });
    await expect(keys.update({ filterByTk: malloryKeyId, values: { createdById: admin.id } })).rejects.toMatchObject({ code: ErrorCode.ACTION_NOT_ALLOWED });
    await expect(app.db.getModel('apiKeys').update({ roleName: 'admin' }, { where: { id: malloryKeyId } })).rejects.toMatchObject({ code: ErrorCode.ACTION_NOT_ALLOWED });
    await expect(app.db.getModel('apiKeys').bulkCreate([{ ...forged, createdById: admin.id }])).rejects.toMatchObject({ code: ErrorCode.ACTION_NOT_ALLOWED });
    // The flags are symbols: options built from a request or a JSON config cannot carry them.
    await expect(keys.create({ values: forged, keywardKeyWrite: true } as any)).rejects.toMatchObject({ code: ErrorCode.ACTION_NOT_ALLOWED });
    await expect(keys.find({ fields: ['hash'], keywardHashLookup: true } as any)).rejects.toMatchObject({ code: ErrorCode.ACTION_NOT_ALLOWED });
    await expect(app.db.getRepository('apiKeyUsage').find({ keywardUsageRead: true } as any)).rejects.toMatchObject({ code: ErrorCode.ACTION_NOT_ALLOWED });
    const stored = await keys.findOne({ filterByTk: malloryKeyId });
    expect(stored.get('createdById')).toBe(mallory.id);
    expect(stored.get('roleName')).toBe('key-managers');
    expect(await keys.count({ filter: { name: 'forged' } })).toBe(0);
  });

  it('turns off at start a workflow bound to the keys before the guard', async () => {
    const workflows = app.db.getRepository('workflows');
    // Turned on without hooks, as by a version without the guard (or for the built-in's apiKeys).
    const old = await workflows.create({ values: { title: 'old capture', type: 'action', enabled: false, config: { collection: 'todos', global: true, actions: ['create'] } } });
    await app.db.getModel('workflows').update({ config: { collection: 'main:apiKeys', global: true, actions: ['create'] } }, { where: { id: old.id }, hooks: false });
    await app.db.getModel('workflows').update({ enabled: true }, { where: { id: old.id }, hooks: false });
    const todos = await workflows.create({ values: { title: 'todos', type: 'action', enabled: true, config: { collection: 'todos', global: true, actions: ['create'] } } });
    const warnings: unknown[] = [];
    await disableWorkflowsOnKeys(app.db, (message, meta) => warnings.push({ message, meta }));
    expect((await workflows.findOne({ filterByTk: old.id })).get('enabled')).toBe(false);
    expect((await workflows.findOne({ filterByTk: todos.id })).get('enabled')).toBe(true);
    expect(warnings).toEqual([{ message: expect.stringContaining('turned off a workflow'), meta: { workflowId: old.id, title: 'old capture' } }]);
  });
});

describe("the keys' tables under the app's table prefix (DB_TABLE_PREFIX)", () => {
  let app: MockServer;

  beforeAll(async () => {
    app = await createApp({ extraPlugins: ['data-source-main'], database: { tablePrefix: 'nb_' } });
  });

  afterAll(async () => {
    await app?.destroy();
  });

  it('knows them by their prefixed names too: the host adds the prefix only to a name without it', async () => {
    const admin = await createUser(app, 'boss', ['admin']);
    const agent = await app.agent().login(admin, 'admin');
    const refusedAs = (res: { status: number; body: any }, what: string) => {
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(403);
      expect(res.body.errors[0].code, what).toBe(ErrorCode.ACTION_NOT_ALLOWED);
    };
    const fields = [{ name: 'hash', type: 'string' }];
    refusedAs(await agent.post('/api/collections:create').send({ name: 'nb_keywardApiKeys', autoGenId: false, timestamps: false, fields }), 'a collection');
    refusedAs(
      await agent
        .post('/api/collections/roles/fields:create')
        .send({ name: 'viaKeys', type: 'belongsToMany', interface: 'm2m', target: 'users', through: 'NB_keywardapikeys', foreignKey: 'fk1', otherKey: 'createdById', targetKey: 'id' }),
      'a join table',
    );
    expect(() => app.db.collection({ name: 'sneaky', tableName: 'nb_keyward_api_key_usage', fields })).toThrow(/tables of API keys/);
    expect(app.db.getCollection('nb_keywardApiKeys')).toBeUndefined();
    expect(app.db.getCollection('sneaky')).toBeUndefined();
    // A name that only looks alike is another table.
    expect(() => app.db.collection({ name: 'nbkeywardApiKeys', fields })).not.toThrow();
  });

  it('and in an app that names tables in snake case, where the prefix may come from the name itself', async () => {
    const underscored = await createApp({ name: 'snake', extraPlugins: ['data-source-main'], database: { tablePrefix: 'nb_', underscored: true } });
    try {
      const admin = await createUser(underscored, 'boss', ['admin']);
      const agent = await underscored.agent().login(admin, 'admin');
      const fields = [{ name: 'hash', type: 'string' }];
      // `nbKeywardApiKeys` is `nb_keyward_api_keys` in snake case, which starts with the prefix already.
      for (const name of ['nbKeywardApiKeys', 'NbKeywardApiKeyUsage']) {
        const res = await agent.post('/api/collections:create').send({ name, autoGenId: false, timestamps: false, fields });
        expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(403);
        expect(() => underscored.db.collection({ name, fields }), name).toThrow(/tables of API keys/);
      }
    } finally {
      await underscored.destroy();
    }
  });
});
