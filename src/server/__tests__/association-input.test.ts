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
    // data-source-main answers a field's validation rules with a 400, as in a stock app.
    app = await createApp({ extraPlugins: ['data-source-main', 'action-export', 'action-import'] });
    app.db.collection({ name: 'tags', asStrategyResource: true, fields: [{ name: 'label', type: 'string' }] });
    app.db.collection({
      name: 'notes',
      asStrategyResource: true,
      fields: [
        { name: 'body', type: 'string' },
        { name: 'marks', type: 'hasMany', target: 'tags', foreignKey: 'markedNoteId' },
      ],
    });
    app.db.collection({
      name: 'posts',
      asStrategyResource: true,
      createdBy: true,
      fields: [
        { name: 'title', type: 'string' },
        { name: 'owner', type: 'belongsTo', target: 'users' },
        { name: 'tags', type: 'belongsToMany', target: 'tags' },
        { name: 'lead', type: 'belongsTo', target: 'tags' },
        { name: 'notes', type: 'hasMany', target: 'notes', foreignKey: 'postId' },
        { name: 'cover', type: 'hasOne', target: 'notes', foreignKey: 'coverOfId' },
        // Linked by the title, not the id.
        { name: 'titled', type: 'hasMany', target: 'notes', sourceKey: 'title', foreignKey: 'postTitle' },
        { name: 'codes', type: 'array' },
        { name: 'grp', type: 'integer', validation: { type: 'number', rules: [{ key: 'max', name: 'max', args: { limit: 100 } }] } },
        { name: 'rank', type: 'sort', scopeKey: 'grp' },
      ],
    });
    await app.db.sync();
    await app.db.getRepository('tags').create({ values: [{ label: 'a' }, { label: 'b' }] });
    await app.db.getRepository('posts').create({ values: { title: 'first', tags: [1] } });
    const actions = ['view', 'create', 'update', 'destroy', 'export'].map((name) => ({ name }));
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

  it('add, set and remove without the ids of the records to link', async () => {
    const before = await links();
    for (const [path, body] of [
      ['/api/posts/1/tags:set', {}],
      ['/api/posts/1/tags:set', { tk: {} }],
      ['/api/posts/1/tags:add', { x: 1 }],
      ['/api/posts/1/tags:remove', [{}]],
      ['/api/posts/1/owner:set', {}],
      ['/api/posts/1/owner:set', { tk: [1] }],
    ] as const) {
      const action = path.split(':')[1];
      badInput(
        await withKey(app, key).post(path).send(body as object),
        `${action} takes the ids of the records to link or unlink: one, a list, or null to unlink a single relation.`,
        `${path} ${JSON.stringify(body)}`,
      );
    }
    expect(await links()).toBe(before);
    const post = await app.db.getRepository('posts').findOne({ filterByTk: 1 });
    expect(post.get('ownerId')).toBeNull();
    expect((await withKey(app, key).post('/api/posts/1/owner:set').send({ tk: 1 })).status).toBe(200);
    expect((await withKey(app, key).post('/api/posts/1/owner:set').send({ tk: null })).status).toBe(200);
  });

  it('reads a relation to one with get only', async () => {
    for (const [path, action] of [
      ['/api/posts/1/lead:list', 'list'],
      ['/api/posts/1/lead:export', 'export'],
    ]) {
      badInput(await withKey(app, key).post(path).send({ columns: [{ dataIndex: ['label'] }] }), `A relation to one record is read with get, not ${action}.`, path);
    }
    expect((await withKey(app, key).get('/api/posts/1/lead:get')).status).toBe(200);
  });

  it('values the host fails on before writing: a list field that is no list, a missing item of a relation’s list', async () => {
    for (const body of [{ codes: 'a' }, { codes: { a: 1 } }, { codes: 5 }, { tags: [1, null] }, { title: 'x', tags: [null] }, [[{ codes: 'a' }]]]) {
      badInput(await withKey(app, key).post('/api/posts:create').send(body), "A value in the request does not fit its field's type.", JSON.stringify(body));
    }
    badInput(await withKey(app, key).post('/api/posts:update?filterByTk=1').send({ codes: 'a' }), "A value in the request does not fit its field's type.", 'update');
    expect(await app.db.getRepository('posts').count()).toBe(1);
    expect((await withKey(app, key).post('/api/posts:create').send({ title: 'coded', codes: ['a', 'b'] })).status).toBe(200);
  });

  it('a filter that is no object nor a list of them', async () => {
    for (const query of ['filter[]=1', `filter=${encodeURIComponent('["x"]')}`, `filter=${encodeURIComponent('5')}`]) {
      badInput(await withKey(app, key).get(`/api/posts:list?${query}`), 'filter takes an object, or a list of them.', query);
    }
  });

  it('a bulk update reaches only the records the role may update', async () => {
    await app.db.getRepository('roles').create({
      values: {
        name: 'own-posts',
        snippets: [SNIPPET],
        resources: [
          {
            name: 'posts',
            usingActionsConfig: true,
            actions: [{ name: 'view' }, { name: 'update', scope: { name: 'mine', resourceName: 'posts', scope: { title: 'mine' } } }],
          },
        ],
      },
    });
    const owner = await createUser(app, 'own-posts-owner', ['own-posts']);
    const { key: scoped } = await createKey(app, owner, { role: { name: 'own-posts' } }, 'own-posts');
    const mine = await app.db.getRepository('posts').create({ values: { title: 'mine' } });
    const theirs = await app.db.getRepository('posts').create({ values: { title: 'theirs' } });
    for (const [body, id] of [
      [[{ id: theirs.get('id'), title: 'taken' }], theirs.get('id')],
      [[{ id: mine.get('id'), title: 'mine' }, { id: theirs.get('id'), title: 'taken' }], theirs.get('id')],
      [[{ id: 99999, title: 'taken' }], 99999],
    ] as const) {
      badInput(await withKey(app, scoped).post(`/api/posts:update?filterByTk=${mine.get('id')}`).send(body), `There is no record this request may change: ${id}.`, JSON.stringify(body));
    }
    badInput(
      await withKey(app, scoped).post(`/api/posts:update?filterByTk=${mine.get('id')}`).send([{ id: mine.get('id'), title: 'mine' }, { title: 'no id' }]),
      'Each record of a bulk update needs its primary key.',
      'a record without its id',
    );
    expect((await app.db.getRepository('posts').findOne({ filterByTk: theirs.get('id') })).get('title')).toBe('theirs');
    // The same list through updateOrCreate or firstOrCreate, which find one row and then write each record by its key.
    for (const action of ['updateOrCreate', 'firstOrCreate']) {
      badInput(
        await withKey(app, scoped).post(`/api/posts:${action}?filterKeys[]=id`).send([{ id: theirs.get('id'), title: 'taken' }]),
        `${action} takes one record, not a list.`,
        action,
      );
    }
    expect((await app.db.getRepository('posts').findOne({ filterByTk: theirs.get('id') })).get('title')).toBe('theirs');
    const own = await withKey(app, scoped).post(`/api/posts:update?filterByTk=${mine.get('id')}`).send([{ id: mine.get('id'), title: 'mine' }]);
    expect(own.status, JSON.stringify(own.body)).toBe(200);

    // A row created through an association: the source must be one the role views (or, for a
    // belongs-to, whose foreign key it writes, updates), as a missing one is answered.
    await app.db.getRepository<any>('roles.resources', 'own-posts').create({
      values: { name: 'tags', usingActionsConfig: true, actions: [{ name: 'create' }, { name: 'view' }] },
    });
    await app.db.getRepository<any>('roles.resources', 'own-posts').update({
      filter: { name: 'posts' },
      values: {
        actions: [
          { name: 'view', scope: { name: 'mine', resourceName: 'posts', scope: { title: 'mine' } } },
          { name: 'update', scope: { name: 'mine', resourceName: 'posts', scope: { title: 'mine' } } },
          { name: 'create' },
        ],
      },
    });
    const tagsBefore = await app.db.getRepository('tags').count();
    for (const association of ['tags', 'lead']) {
      badInput(
        await withKey(app, scoped).post(`/api/posts/${theirs.get('id')}/${association}:create`).send({ label: 'hijack' }),
        `There is no record this request may change: ${theirs.get('id')}.`,
        association,
      );
    }
    expect(await app.db.getRepository('tags').count()).toBe(tagsBefore);
    expect((await app.db.getRepository('posts').findOne({ filterByTk: theirs.get('id') })).get('leadId')).toBeNull();
    const created = await withKey(app, scoped).post(`/api/posts/${mine.get('id')}/tags:create`).send({ label: 'ours' });
    expect(created.status, JSON.stringify(created.body)).toBe(200);

    // A has-many keeps its link on the target row: linking someone else's note writes it.
    await app.db.getRepository<any>('roles.resources', 'own-posts').create({
      values: {
        name: 'notes',
        usingActionsConfig: true,
        actions: [{ name: 'view' }, { name: 'update', scope: { name: 'mine', resourceName: 'notes', scope: { body: 'mine' } } }],
      },
    });
    const myNote = await app.db.getRepository('notes').create({ values: { body: 'mine' } });
    const theirNote = await app.db.getRepository('notes').create({ values: { body: 'theirs', postId: mine.get('id') } });
    const noteOf = async (note: any) => (await app.db.getRepository('notes').findOne({ filterByTk: note.get('id') })).get('postId');
    for (const [path, body] of [
      [`/api/posts/${mine.get('id')}/notes:add`, [theirNote.get('id')]],
      [`/api/posts/${mine.get('id')}/notes:remove`, [theirNote.get('id')]],
      // set unlinks the note linked now, which is theirs.
      [`/api/posts/${mine.get('id')}/notes:set`, [myNote.get('id')]],
      [`/api/posts:update?filterByTk=${mine.get('id')}`, { notes: [theirNote.get('id')] }],
      ['/api/posts:create', { title: 'mine', notes: [{ id: theirNote.get('id') }] }],
    ] as const) {
      const res = await withKey(app, scoped).post(path).send(body as object);
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.errors[0].message).toMatch(/^There is no record this request may change: /);
    }
    // An update that gives the notes anew unlinks theirs.
    // Both refusals name the post the request names, never the note found linked to it.
    for (const [path, body] of [
      [`/api/posts:update?filterByTk=${mine.get('id')}`, { notes: [myNote.get('id')] }],
      [`/api/posts/${mine.get('id')}/notes:set`, [myNote.get('id')]],
    ] as const) {
      badInput(await withKey(app, scoped).post(path).send(body as object), `There is no record this request may change: ${mine.get('id')}.`, `${path}, unlinking`);
    }
    // The rows an update unlinks are found record by record: by filter, or by a list of keys,
    // they would go unseen; a bulk update's records are each checked.
    for (const path of [
      `/api/posts:update?filter=${encodeURIComponent(JSON.stringify({ id: mine.get('id') }))}`,
      `/api/posts:update?filterByTk[]=${mine.get('id')}`,
    ]) {
      badInput(await withKey(app, scoped).post(path).send({ notes: [] }), 'With an API key, an update that gives notes anew names one record by filterByTk.', path);
    }
    badInput(
      await withKey(app, scoped).post(`/api/posts:update?filterByTk=${mine.get('id')}`).send([{ id: mine.get('id'), notes: [myNote.get('id')] }]),
      `There is no record this request may change: ${mine.get('id')}.`,
      'bulk update, unlinking',
    );
    // updateOrCreate updates the row its filterKeys find.
    badInput(
      await withKey(app, scoped).post('/api/posts:updateOrCreate?filterKeys[]=id').send({ id: mine.get('id'), notes: [myNote.get('id')] }),
      'With an API key, an update that gives notes anew names one record by filterByTk.',
      'updateOrCreate',
    );
    // A related row that exists, given a has-many anew (updated with updateAssociationValues).
    for (const path of [`/api/posts:update?filterByTk=${mine.get('id')}&updateAssociationValues[]=notes`, '/api/posts:create?updateAssociationValues[]=notes']) {
      badInput(
        await withKey(app, scoped).post(path).send({ title: 'mine', notes: [{ id: myNote.get('id'), marks: [] }] }),
        "With an API key, marks of a related record is changed through that record's own collection.",
        path,
      );
    }
    // A relation linked by another key than the id: the rows linked now are found by it.
    const titledNote = await app.db.getRepository('notes').create({ values: { body: 'theirs', postTitle: 'mine' } });
    badInput(
      await withKey(app, scoped).post(`/api/posts:update?filterByTk=${mine.get('id')}`).send({ titled: [] }),
      `There is no record this request may change: ${mine.get('id')}.`,
      'a relation by title, unlinking',
    );
    expect((await app.db.getRepository('notes').findOne({ filterByTk: titledNote.get('id') })).get('postTitle')).toBe('mine');
    // An import links the rows a has-many column finds by any field, past the scope: even a root key's.
    const root = await app.db.getRepository('users').findOne({ filter: { id: 1 } });
    const { key: rootKey } = await createKey(app, root, { role: { name: 'root' } }, 'root');
    for (const dataIndex of [['notes', 'body'], ['cover', 'body']]) {
      const imported = await withKey(app, rootKey)
        .post('/api/posts:importXlsx')
        .attach('file', Buffer.from('not read'), 'posts.xlsx')
        .field('columns', JSON.stringify([{ dataIndex: ['title'] }, { dataIndex }]));
      badInput(imported, `With an API key, importXlsx takes no column through ${dataIndex[0]}: it would re-link the rows it finds.`, dataIndex.join('.'));
    }
    expect(await noteOf(theirNote)).toBe(mine.get('id'));
    expect(await noteOf(myNote)).toBeNull();
    expect((await withKey(app, scoped).post(`/api/posts/${mine.get('id')}/notes:add`).send([myNote.get('id')])).status).toBe(200);
    expect(await noteOf(myNote)).toBe(mine.get('id'));
    // A has-one: set names one row, and unlinks the one linked now.
    const cover = (tk: unknown) => withKey(app, scoped).post(`/api/posts/${mine.get('id')}/cover:set`).send({ tk });
    const mySet = await cover(myNote.get('id'));
    expect(mySet.status, JSON.stringify(mySet.body)).toBe(200);
    expect((await cover(theirNote.get('id'))).status).toBe(400);
    expect((await app.db.getRepository('notes').findOne({ filterByTk: theirNote.get('id') })).get('coverOfId')).toBeNull();
  });

  it('changes a relation to one only through its own collection, and imports no rowDefaultValues', async () => {
    for (const action of ['update', 'destroy']) {
      badInput(
        await withKey(app, key).post(`/api/posts/1/lead:${action}?filterByTk=1`).send({ label: 'x' }),
        `With an API key, a relation to one record is changed through its own collection, not ${action} on the relation.`,
        action,
      );
    }
    expect(await app.db.getRepository('tags').count({ filter: { label: 'x' } })).toBe(0);
    badInput(
      await withKey(app, key).post('/api/posts:importXlsx?rowDefaultValues[title]=x').send({}),
      'With an API key, importXlsx takes no rowDefaultValues: they would be written past the role’s field list.',
      'importXlsx',
    );
  });

  it('move: a new scope its field refuses fails before anything moves; the sort field is text', async () => {
    const posts = app.db.getRepository('posts');
    await posts.destroy({ filter: { id: { $ne: 1 } } });
    await posts.create({ values: [{ title: 'p2', grp: 1 }, { title: 'p3', grp: 1 }] });
    await posts.update({ filterByTk: 1, values: { grp: 1 } });
    const order = async () => (await posts.find({ sort: ['rank'] })).map((post: any) => [post.get('title'), post.get('rank'), post.get('grp')]);
    const before = await order();
    const ids = (await posts.find({ sort: ['rank'] })).map((post: any) => post.get('id'));
    const invalid = await withKey(app, key).post(`/api/posts:move?sourceId=${ids[0]}&targetId=${ids[2]}&sortField=rank&targetScope[grp]=500`);
    expect(invalid.status, JSON.stringify(invalid.body)).toBe(400);
    expect(invalid.body.errors[0].code).toBe(ErrorCode.BAD_INPUT);
    expect(await order()).toEqual(before);
    badInput(
      await withKey(app, key).post(`/api/posts:move?sourceId=${ids[0]}&targetId=${ids[2]}&sortField=rank&targetScope[grp][a]=1`),
      'targetScope takes one value for the sort field’s scope: grp.',
      'an object',
    );
    badInput(await withKey(app, key).post(`/api/posts:move?sourceId=${ids[0]}&targetId=${ids[2]}&sortField[]=rank`), 'move needs a sort field: ["rank"] is none.', 'a list');
    expect(await order()).toEqual(before);
    expect((await withKey(app, key).post(`/api/posts:move?sourceId=${ids[0]}&targetId=${ids[2]}&sortField=rank`)).status).toBe(200);
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
