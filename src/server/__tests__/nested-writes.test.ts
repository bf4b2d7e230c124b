import type { MockServer } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../constants';
import { createApp, createKey, createUser, setUpTodos, TODOS_ROLE, withKey } from './helpers';

/**
 * Second review: the host writes the records behind `updateAssociationValues` (`createdBy`,
 * `createdBy.roles`, `storage`), and skips its own check for actions any signed-in user may
 * call. A key must not reach its owner, roles or configuration that way.
 */
describe('writes through association values', () => {
  let app: MockServer;
  let owner: any;
  let key: string;
  let root: any;
  let rootKey: string;

  beforeAll(async () => {
    app = await createApp({ extraPlugins: ['data-source-main', 'file-manager'] });
    ({ user: owner } = await setUpTodos(app));
    ({ key } = await createKey(app, owner));
    await app.db.getRepository('users').update({ filterByTk: owner.id, values: { email: 'owner@example.com' } });
    root = await app.db.getRepository('users').findOne({ filter: { id: 1 } });
    ({ key: rootKey } = await createKey(app, root, { role: { name: 'root' } }, 'root'));
    app.db.collection({ name: 'lists', asStrategyResource: true, fields: [{ type: 'string', name: 'title' }, { type: 'hasMany', name: 'todos', target: 'todos', foreignKey: 'listId' }] });
    await app.db.sync();
  });

  afterAll(async () => {
    await app?.destroy();
  });

  const refused = (res: { status: number; body: any }, code: string) => {
    expect(res.status).toBe(403);
    expect(res.body.errors[0].code).toBe(code);
  };
  const attachment = { title: 'x', filename: 'x.txt', extname: '.txt', path: '' };

  it("changes no owner's profile or password through createdBy", async () => {
    const res = await withKey(app, key)
      .post('/api/attachments:create?updateAssociationValues[]=createdBy')
      .send({ ...attachment, createdBy: { id: owner.id, email: 'evil@example.com', password: 'pwned-by-key' } });
    refused(res, ErrorCode.ACCOUNT_ACTION_REFUSED);
    const after = await app.db.getRepository('users').findOne({ filterByTk: owner.id });
    expect(after.get('email')).toBe('owner@example.com');
  });

  it('gives the owner no role through updatedBy.roles', async () => {
    const res = await withKey(app, key)
      .post('/api/attachments:create?updateAssociationValues[]=updatedBy&updateAssociationValues[]=updatedBy.roles')
      .send({ ...attachment, updatedBy: { id: owner.id, roles: [TODOS_ROLE, 'admin'] } });
    refused(res, ErrorCode.ACCOUNT_ACTION_REFUSED);
    expect((await app.db.getRepository('users.roles', owner.id).find()).map((role: any) => role.name)).toEqual([TODOS_ROLE]);
  });

  it('rewrites no storage through an attachment', async () => {
    const storage = await app.db.getRepository('storages').findOne({ filter: { default: true } });
    const res = await withKey(app, key)
      .post('/api/attachments:create?updateAssociationValues[]=storage')
      .send({ ...attachment, storage: { id: storage.id, baseUrl: 'https://attacker.example/files' } });
    refused(res, ErrorCode.CONFIGURATION_REFUSED);
    const after = await app.db.getRepository('storages').findOne({ filterByTk: storage.id });
    expect(after.get('baseUrl')).toBe(storage.get('baseUrl'));
  });

  it('a root key neither, on a data collection, yet writes its data through associations', async () => {
    refused(
      await withKey(app, rootKey)
        .post('/api/todos:create?updateAssociationValues[]=createdBy')
        .send({ title: 't', createdBy: { id: root.id, password: 'pwned-root' } }),
      ErrorCode.ACCOUNT_ACTION_REFUSED,
    );
    const list = await withKey(app, rootKey)
      .post('/api/lists:create?updateAssociationValues[]=todos')
      .send({ title: 'groceries', todos: [{ title: 'milk' }, { title: 'bread' }] });
    expect(list.status).toBe(200);
    expect(await app.db.getRepository('todos').count({ filter: { listId: list.body.data.id } })).toBe(2);
  });

  it('refuses any write a key request makes to an account or configuration collection, however it gets there', async () => {
    const context = { state: { apiKey: { id: 1, roleName: TODOS_ROLE }, currentUser: owner } };
    await expect(
      app.db.getRepository('users').update({ filterByTk: owner.id, values: { nickname: 'x' }, context }),
    ).rejects.toMatchObject({ code: ErrorCode.ACCOUNT_ACTION_REFUSED });
    await expect(
      app.db.getRepository('roles').create({ values: { name: 'made-by-key' }, context }),
    ).rejects.toMatchObject({ code: ErrorCode.CONFIGURATION_REFUSED });
    // Without a key, as before.
    await app.db.getRepository('users').update({ filterByTk: owner.id, values: { nickname: 'fine' } });
  });

  it('reads no raw table through a configuration read (dbViews:query)', async () => {
    const res = await withKey(app, rootKey).get('/api/dbViews:query?filterByTk=keywardApiKeys');
    refused(res, ErrorCode.CONFIGURATION_REFUSED);
    expect(JSON.stringify(res.body)).not.toMatch(/[0-9a-f]{64}/);
  });
});
