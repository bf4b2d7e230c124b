import type { MockServer } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../constants';
import { createApp, createKey, createUser, OtherSource, setUpTodos, SNIPPET, withKey } from './helpers';

/**
 * The file manager hands any signed-in user any `attachments` file by id (`getFile`), whatever
 * the role: a key gets one only if its role may view attachments, as for every other file
 * collection.
 */
describe('files with a key', () => {
  let app: MockServer;
  let key: string;
  let viewerKey: string;
  let ownKey: string;
  let ownFileId: number;
  let fileId: number;

  const getFile = (apiKey: string, id: number | string) => withKey(app, apiKey).get(`/api/attachments:getFile?filterByTk=${id}`);

  const publicPath = process.env.APP_PUBLIC_PATH;

  beforeAll(async () => {
    // Where local storage's file URLs start, as a real app's environment sets it.
    process.env.APP_PUBLIC_PATH = '/';
    app = await createApp({ extraPlugins: ['data-source-main', 'file-manager'] });
    const { user } = await setUpTodos(app);
    ({ key } = await createKey(app, user));
    const root = await app.db.getRepository('users').findOne({ filter: { id: 1 } });
    const upload = await (await app.agent().login(root))
      .post('/api/attachments:create')
      .attach('file', Buffer.from('the payroll'), 'payroll.txt');
    expect(upload.status).toBe(200);
    fileId = upload.body.data.id;

    await app.db.getRepository('roles').create({
      values: {
        name: 'file-viewer',
        snippets: [SNIPPET],
        resources: [{ name: 'attachments', usingActionsConfig: true, actions: [{ name: 'view' }] }],
      },
    });
    const viewer = await createUser(app, 'viewer', ['file-viewer']);
    ({ key: viewerKey } = await createKey(app, viewer, { role: { name: 'file-viewer' } }, 'file-viewer'));

    // A role that may view only the attachments its user uploaded.
    await app.db.getRepository('roles').create({
      values: {
        name: 'own-files',
        snippets: [SNIPPET],
        resources: [
          {
            name: 'attachments',
            usingActionsConfig: true,
            actions: [{ name: 'view', scope: { name: 'own', resourceName: 'attachments', scope: { createdById: '{{ ctx.state.currentUser.id }}' } } }],
          },
        ],
      },
    });
    const owner = await createUser(app, 'owner', ['own-files']);
    let agent;
    ({ key: ownKey, agent } = await createKey(app, owner, { role: { name: 'own-files' } }, 'own-files'));
    ownFileId = (await agent.post('/api/attachments:create').attach('file', Buffer.from('mine'), 'mine.txt')).body.data.id;
  });

  afterAll(async () => {
    await app?.destroy();
    if (publicPath === undefined) {
      delete process.env.APP_PUBLIC_PATH;
    } else {
      process.env.APP_PUBLIC_PATH = publicPath;
    }
  });

  it("is refused an attachment its role may not view, which its owner's session gets", async () => {
    const res = await getFile(key, fileId);
    expect(res.status).toBe(403);
    expect(res.headers.location).toBeUndefined();
  });

  it('gets an attachment its role may view, and a 404 for one that does not exist', async () => {
    const res = await getFile(viewerKey, fileId);
    expect(res.status).toBe(302);
    expect(res.headers.location).toContain('payroll');
    expect((await getFile(viewerKey, 999999)).status).toBe(404);
  });

  it("keeps to its role's scope: its owner's own attachments only", async () => {
    expect((await getFile(ownKey, ownFileId)).status).toBe(302);
    expect((await getFile(ownKey, fileId)).status).toBe(404);
  });

  it('gets a local file under /storage/uploads only where its role may view the row naming it', async () => {
    const rows = await app.db.getRepository('attachments').find({ filter: { id: [fileId, ownFileId] } });
    const url = (id: number) => {
      const row = rows.find((item: { get: (name: string) => unknown }) => item.get('id') === id);
      const folder = String(row.get('path') ?? '');
      return `/storage/uploads/${folder ? `${folder}/` : ''}${row.get('filename')}`;
    };
    expect((await withKey(app, key).get(url(fileId))).status).toBe(404);
    const viewed = await withKey(app, viewerKey).get(url(fileId));
    expect(viewed.status).toBe(200);
    expect(viewed.text ?? viewed.body.toString()).toContain('the payroll');
    expect((await withKey(app, ownKey).get(url(ownFileId))).status).toBe(200);
    expect((await withKey(app, ownKey).get(url(fileId))).status).toBe(404);
    expect((await withKey(app, viewerKey).get('/storage/uploads/no-such-file.txt')).status).toBe(404);
    expect((await withKey(app, viewerKey).get('/api/auth:checkLegacyFileAccess')).status).toBe(404);
  });

  it('gets no file by a row it adds naming it, another folder or a path that leaves the folder', async () => {
    const [theirs, mine] = await Promise.all(
      [fileId, ownFileId].map((id) => app.db.getRepository('attachments').findOne({ filterByTk: id })),
    );
    const json = { filename: theirs.get('filename'), path: theirs.get('path') ?? '', storageId: theirs.get('storageId') };
    const added = await withKey(app, ownKey).post('/api/attachments:create').send(json);
    expect(added.status).toBe(400);
    expect(added.body.errors[0].code).toBe(ErrorCode.BAD_INPUT);
    // Even a row of the owner's that names the file (as a session may add): the file's own row
    // is not the key's to view.
    const owner = await app.db.getRepository('users').findOne({ filter: { username: 'owner' } });
    await app.db.getRepository('attachments').create({ values: { ...json, title: 'mine now', createdById: owner.get('id') } });
    const mineName = mine.get('filename');
    for (const url of [
      `/storage/uploads/${theirs.get('filename')}`,
      `/storage/uploads/elsewhere/${mineName}`,
      `/storage/uploads/..%2Fuploads%2F${mineName}`,
      `/storage/uploads/x/..%2F..%2Fuploads%2F${mineName}`,
      `/storage/uploads/x/../${mineName}`,
      `/storage/uploads/%2e%2e/uploads/${mineName}`,
    ]) {
      expect((await withKey(app, ownKey).get(url)).status, url).toBe(404);
    }
    expect((await withKey(app, ownKey).get(`/storage/uploads/${mineName}`)).status).toBe(200);
  });

  it('takes one id, not a filter that also matches a file of its scope', async () => {
    for (const query of [
      `filterByTk[]=${fileId}&filterByTk[]=${ownFileId}`,
      `filterByTk[$in][]=${fileId}&filterByTk[$in][]=${ownFileId}`,
      'filterByTk[$ne]=0',
      'filterByTk[$gt]=0',
      '',
    ]) {
      const res = await withKey(app, ownKey).get(`/api/attachments:getFile?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.errors[0].code, query).toBe(ErrorCode.BAD_INPUT);
    }
    // A spelling the database reads as the same id serves the row the check found.
    const res = await withKey(app, ownKey).get(`/api/attachments:getFile?filterByTk=0${ownFileId}`);
    expect(res.status).toBe(302);
    expect(res.headers.location).toContain('mine');
  });

  it('is guarded on every data source, those added later included', async () => {
    // A data source with an `attachments` collection whose getFile, as the file manager's,
    // skips the ACL.
    const other = new OtherSource({ name: 'other-files', resourceManager: { prefix: '/api' } });
    other.collectionManager.defineCollection({ name: 'attachments', fields: [{ type: 'string', name: 'filename' }] } as any);
    other.resourceManager.define({
      name: 'attachments',
      actions: { getFile: async (ctx: any, next: any) => ((ctx.body = 'the file'), next()) },
    });
    other.acl.use(
      async (ctx: any, next: any) => {
        if (ctx.action.actionName === 'getFile') {
          ctx.permission.skip = true;
        }
        await next();
      },
      { tag: 'skip-get-file', before: 'core' },
    );
    await app.dataSourceManager.add(other);
    const res = await withKey(app, key, { 'X-Data-Source': 'other-files' }).get('/api/attachments:getFile?filterByTk=1');
    expect(res.status).toBe(403);
  });
});
