import { createMockServer, type MockServer } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, PACKAGE_NAME } from '../../constants';
import { createKey, createUser, SNIPPET, withKey } from './helpers';
import PluginKeywardServer from '../plugin';
import { decisionFor } from '../restrictions/signed-in-actions';
import { READ_ACTIONS } from '../restrictions/read-actions';

/**
 * Every plugin a stock NocoBase 2.2.15 enables (the preset's built-in list; the built-in API keys
 * plugin left out, as Keyward replaces it): each action the host lets any signed-in user call,
 * whatever the role, has a decision in the signed-in action table.
 */
describe('with the plugins a stock NocoBase enables', () => {
  let app: MockServer;

  beforeAll(async () => {
    const builtIn: string[] = require('@nocobase/preset-nocobase/package.json').builtIn;
    const plugins = builtIn.map((name) => name.replace('@nocobase/plugin-', '')).filter((name) => name !== 'api-keys');
    app = await createMockServer({
      plugins: [...plugins, [PluginKeywardServer, { name: PACKAGE_NAME }]] as any,
      acl: true,
      registerActions: true,
      resourcer: { prefix: '/api' },
    });
  }, 180_000);

  afterAll(async () => {
    await app?.destroy();
  });

  it('has a decision for every action allowed to any signed-in user, on every data source', () => {
    const undecided: string[] = [];
    for (const dataSource of app.dataSourceManager.dataSources.values()) {
      const allowances = (dataSource.acl as any).allowManager.skipActions as Map<string, Map<string, unknown>>;
      for (const [resource, actions] of allowances) {
        for (const action of actions.keys()) {
          // `*:*` is the ACL plugin's rule for the root role: a role decision, not a grant to everyone.
          if (`${resource}:${action}` !== '*:*' && !decisionFor(resource, action)) {
            undecided.push(`${resource}:${action}`);
          }
        }
      }
    }
    expect(undecided).toEqual([]);
  });

  describe('a key whose role grants nothing', () => {
    let key: string;

    beforeAll(async () => {
      await app.db.getRepository('roles').create({ values: { name: 'minimal', snippets: [SNIPPET] } });
      const owner = await createUser(app, 'minimal-owner', ['minimal']);
      ({ key } = await createKey(app, owner, { role: { name: 'minimal' } }, 'minimal'));
      await app.db.getRepository('aiConversations').create({ values: { title: "root's plan", userId: 1 } });
      await app.db.getRepository('aiWorkflowTasks').create({
        values: { workflowTitle: 'payroll', nodeTitle: 'approve', status: 'pending', users: [1] },
      });
    });

    it("reads and changes nobody's AI conversations or tasks through the host's generic actions", async () => {
      const get = (url: string) => withKey(app, key).get(url);
      const post = (url: string, body: object = {}) => withKey(app, key).post(url).send(body);
      const attempts = [
        await get('/api/aiConversations:get?appends[]=user'),
        await post('/api/aiConversations:export', { columns: [{ dataIndex: ['title'] }] }),
        await get('/api/aiWorkflowTasks:get?appends[]=users'),
        await post(`/api/aiWorkflowTasks:update?filter=${encodeURIComponent('{"workflowTitle":"payroll"}')}`, { status: 'done' }),
        await post(`/api/aiWorkflowTasks:destroy?filter=${encodeURIComponent('{"workflowTitle":"payroll"}')}`),
        await get('/api/workflowManualTasks:get?filterByTk=1'),
      ];
      expect(attempts.map((res) => res.status)).toEqual([403, 403, 403, 403, 403, 403]);
      expect(JSON.stringify(attempts.map((res) => res.body))).not.toContain("root's plan");
      const task = await app.db.getRepository('aiWorkflowTasks').findOne({ filter: { workflowTitle: 'payroll' } });
      expect(task?.get('status')).toBe('pending');
    });

    it("still calls the resources' own actions, scoped to its owner", async () => {
      const res = await withKey(app, key).get('/api/aiConversations:list');
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).not.toContain("root's plan");
      expect((await withKey(app, key).get('/api/aiWorkflowTasks:list')).status).toBe(200);
    });

    it('starts and steers no AI conversation, whose actions fail on unchecked input', async () => {
      for (const [url, body] of [
        ['/api/aiConversations:create', {}],
        ['/api/aiConversations:update?filterByTk=x', { title: 'x' }],
        ['/api/aiConversations:updateToolArgs', {}],
        ['/api/aiConversations:sendMessages', {}],
        ['/api/aiFiles:create', {}],
      ] as const) {
        const res = await withKey(app, key).post(url).send(body);
        expect(res.status, url).toBe(403);
        expect(res.body.errors[0].code, url).toBe(ErrorCode.ACCOUNT_ACTION_REFUSED);
      }
    });

    it('reads the interface metadata the signed-in action table allows, with a read-only key too', async () => {
      const owner = await app.db.getRepository('users').findOne({ filter: { username: 'minimal-owner' } });
      const { key: readOnly } = await createKey(app, owner, { role: { name: 'minimal' }, readOnly: true }, 'minimal');
      const reads = Object.keys(READ_ACTIONS).filter((name) => name.includes(':') && decisionFor(...(name.split(':') as [string, string]))?.key);
      expect(reads).toEqual(expect.arrayContaining(['desktopRoutes:listAccessible', 'uiSchemas:getJsonSchema', 'flowModels:findOne', 'flowSurfaces:context']));
      for (const name of reads) {
        for (const agent of [withKey(app, key), withKey(app, readOnly)]) {
          const res = await agent.get(`/api/${name}`);
          expect([ErrorCode.READ_ONLY, ErrorCode.CONFIGURATION_REFUSED, ErrorCode.ACCOUNT_ACTION_REFUSED], `${name}: ${JSON.stringify(res.body)}`).not.toContain(
            res.body?.errors?.[0]?.code,
          );
        }
      }
      expect((await withKey(app, readOnly).get('/api/desktopRoutes:listAccessible')).status).toBe(200);
      // A value the host fails on where it finds its row: the request's own, so a 400.
      const objectUid = await withKey(app, readOnly).get('/api/flowModels:findOne?uid[a]=1');
      expect(objectUid.status, JSON.stringify(objectUid.body)).toBe(400);
      expect(objectUid.body.errors[0]).toEqual({ code: ErrorCode.BAD_INPUT, message: 'A value in the filter does not fit its operator.' });
      // Parameters the host's own reads fail on.
      for (const [path, message] of [
        ['/api/desktopRoutes:listAccessible?filter[]=1', 'filter takes an object, or a list of them.'],
        ['/api/userWorkflowTasks:listMine?filter[]=1', 'filter takes an object, or a list of them.'],
        ['/api/uiSchemas:getJsonSchema', 'uiSchemas:getJsonSchema takes one uid, in its path.'],
        ['/api/uiSchemas:getProperties?filterByTk[a]=1', 'uiSchemas:getProperties takes one uid, in its path.'],
        ['/api/uiSchemas:getParentJsonSchema', 'uiSchemas:getParentJsonSchema takes one uid, in its path.'],
      ]) {
        const res = await withKey(app, readOnly).get(path);
        expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(400);
        expect(res.body.errors[0], path).toEqual({ code: ErrorCode.BAD_INPUT, message });
      }
      // A NUL in the path: SQLite's SQL ends there (a 500); PostgreSQL would take it as the text \0.
      const nul = await withKey(app, readOnly).get('/api/uiSchemas:getJsonSchema/%00');
      expect(nul.status, JSON.stringify(nul.body)).toBe(400);
      expect(nul.body.errors[0]).toEqual({ code: ErrorCode.BAD_INPUT, message: 'Text in the request holds a NUL character, which the database does not take.' });
      // A plugin's 404 for a row it does not find gets a code, its message kept.
      const task = await withKey(app, readOnly).get('/api/asyncTasks:fetchFile?filterByTk=00000000-0000-4000-8000-000000000000');
      expect(task.status).toBe(404);
      expect(task.body.errors[0]).toEqual({ code: ErrorCode.NOT_FOUND, message: expect.any(String) });
      const iframe = await withKey(app, key).get('/api/iframeHtml:getHtml?filterByTk=1');
      expect(iframe.status).toBe(403);
      expect(iframe.body.errors[0].code).toBe(ErrorCode.ACCOUNT_ACTION_REFUSED);
    });
  });
});
