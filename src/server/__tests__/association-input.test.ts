import type { MockServer } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../constants';
import { createApp, createKey, createUser, SNIPPET, withKey } from './helpers';

/** Associations in a key's request where the host fails with a 500: each is a 400, and nothing is written. */
describe('bad input through associations', () => {
  let app: MockServer;
  let key: string;

  const badInput = (res: { status: number; body: any }, message: string, what: string) => {
    expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(400);
    expect(res.body.errors, what).toEqual([{ code: ErrorCode.BAD_INPUT, message }]);
  };
  const links = () => app.db.getRepository<any>('posts.tags', 1).count();

  beforeAll(async () => {
    app = await createApp();
    app.db.collection({ name: 'tags', asStrategyResource: true, fields: [{ name: 'label', type: 'string' }] });
    app.db.collection({
      name: 'posts',
      asStrategyResource: true,
      createdBy: true,
      fields: [
        { name: 'title', type: 'string' },
        { name: 'owner', type: 'belongsTo', target: 'users' },
        { name: 'tags', type: 'belongsToMany', target: 'tags' },
      ],
    });
    await app.db.sync();
    await app.db.getRepository('tags').create({ values: [{ label: 'a' }, { label: 'b' }] });
    await app.db.getRepository('posts').create({ values: { title: 'first', tags: [1] } });
    const actions = ['view', 'create', 'update', 'destroy'].map((name) => ({ name }));
    await app.db.getRepository('roles').create({
      values: {
        name: 'writers',
        snippets: [SNIPPET],
        resources: ['posts', 'tags'].map((name) => ({ name, usingActionsConfig: true, actions })),
      },
    });
    const writer = await createUser(app, 'writer', ['writers']);
    ({ key } = await createKey(app, writer, { role: { name: 'writers' } }, 'writers'));
  });

  afterAll(async () => {
    await app?.destroy();
  });

  it('sort and except through an association or past a column', async () => {
    const message = (name: string) => `sort and except take the collection’s own fields: ${name} is none.`;
    for (const [query, name] of [
      ['sort=owner.nickname', 'owner.nickname'],
      ['sort=-createdBy.id', 'createdBy.id'],
      ['sort=tags.label', 'tags.label'],
      ['except=tags', 'tags'],
      ['except=owner', 'owner'],
      ['except=tags.label', 'tags.label'],
      ['except=title.x', 'title.x'],
    ]) {
      badInput(await withKey(app, key).get(`/api/posts:list?${query}`), message(name), query);
    }
    badInput(await withKey(app, key).get('/api/posts:get?filterByTk=1&except=tags'), message('tags'), 'get');
    for (const query of ['sort=-title', 'except=title', 'sort=title&appends=owner']) {
      expect((await withKey(app, key).get(`/api/posts:list?${query}`)).status, query).toBe(200);
    }
  });

  it('association values the host cannot write', async () => {
    badInput(
      await withKey(app, key).post('/api/posts:create?updateAssociationValues=tags').send({ title: 'x', tags: [{ id: 1, label: 'changed' }] }),
      'updateAssociationValues takes a list of association paths.',
      'updateAssociationValues as text',
    );
    for (const body of [{ owner: [1] }, { owner: [] }, { title: 'x', owner: [1] }]) {
      badInput(await withKey(app, key).post('/api/posts:create').send(body), "A value in the request does not fit its field's type.", JSON.stringify(body));
    }
    badInput(await withKey(app, key).post('/api/posts:update?filterByTk=1').send({ owner: [1] }), "A value in the request does not fit its field's type.", 'update');
    expect(await app.db.getRepository('posts').count()).toBe(1);
    expect((await app.db.getRepository('tags').findOne({ filterByTk: 1 })).get('label')).toBe('a');
  });

  it('association actions on a record that is not there', async () => {
    for (const [path, body] of [
      ['/api/posts/99/tags:add', [1]],
      ['/api/posts/99/tags:set', [1]],
      ['/api/posts/99/tags:remove', [1]],
      ['/api/posts/99/tags:toggle', { tk: 1 }],
      ['/api/posts/99/tags:create', { label: 'c' }],
      ['/api/posts/99/tags:firstOrCreate?filterKeys[]=label', { label: 'c' }],
      ['/api/posts/99/owner:remove', {}],
    ] as const) {
      badInput(await withKey(app, key).post(path).send(body as object), 'There is no record this request may change: 99.', path);
    }
    expect(await app.db.getRepository('tags').count()).toBe(2);
    expect((await withKey(app, key).post('/api/posts/1/tags:add').send([2])).status).toBe(200);
    expect(await links()).toBe(2);
  });

  it('toggle without the id of a record to link', async () => {
    for (const body of [{}, { x: 1 }, { tk: {} }, { tk: [1, 2] }]) {
      badInput(await withKey(app, key).post('/api/posts/1/tags:toggle').send(body), 'toggle takes the record to link or unlink as tk: one id.', JSON.stringify(body));
    }
    expect(await links()).toBe(2);
    expect((await withKey(app, key).post('/api/posts/1/tags:toggle').send({ tk: 2 })).status).toBe(200);
    expect(await links()).toBe(1);
  });
});
