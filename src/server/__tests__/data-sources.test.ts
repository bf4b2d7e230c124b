import type { MockServer } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, createKey, createUser, OtherSource, setUpTodos, TODOS_ROLE, withKey } from './helpers';

/** Hole 7: the key's role is pinned on every data source, not only the main one. */
describe('a key on another data source', () => {
  let app: MockServer;
  let key: string;
  let owner: any;

  beforeAll(async () => {
    app = await createApp();
    await setUpTodos(app);
    const other = new OtherSource({ name: 'other', resourceManager: { prefix: '/api' } });
    // As the data source manager plugin sets up an external source: its own role step and ACL.
    const { setCurrentRole } = require('@nocobase/plugin-acl');
    other.resourceManager.use(setCurrentRole, { tag: 'setCurrentRole', before: 'acl', after: 'auth' });
    other.collectionManager.defineCollection({ name: 'reports', fields: [{ type: 'string', name: 'title' }] } as any);
    other.resourceManager.define({
      name: 'reports',
      actions: { list: async (ctx: any, next: any) => ((ctx.body = ctx.state.currentRoles), next()) },
    });
    // Only the owner's other role may read reports there.
    other.acl.define({ role: 'admin', strategy: { actions: ['list'] } });
    await app.dataSourceManager.add(other);
    owner = await createUser(app, 'owner', [TODOS_ROLE, 'admin']);
    ({ key } = await createKey(app, owner));
    await app.db.getRepository('systemSettings').update({ filter: { id: 1 }, values: { roleMode: 'only-use-union' } });
    await app.cache.del('app:systemSettings');
  });

  afterAll(async () => {
    await app?.destroy();
  });

  it("acts with its own role alone, even in union role mode", async () => {
    // The owner's session, with all roles united, may read there: the key may not.
    const session = await app.agent().login(owner);
    expect((await (session as any).get('/api/reports:list').set('X-Data-Source', 'other')).status).toBe(200);
    const res = await withKey(app, key, { 'X-Data-Source': 'other' }).get('/api/reports:list');
    expect(res.status).toBe(403);
    expect(JSON.stringify(res.body)).not.toContain('admin');
  });

  it('and the same on the main data source', async () => {
    expect((await withKey(app, key).get('/api/users:list')).status).toBe(403);
    expect((await withKey(app, key).get('/api/todos:list')).status).toBe(200);
  });
});
