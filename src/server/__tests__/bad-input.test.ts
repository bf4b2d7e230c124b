import { Op } from '@nocobase/database';
import type { MockServer } from '@nocobase/test';
import { existsSync, readdirSync } from 'fs';
import { join } from 'path';
import qs from 'qs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../constants';
import { createApp, createKey, createUser, setUpTodos, withKey } from './helpers';

const TIMEZONE_MESSAGE = 'The X-Timezone header is not a UTC offset the server reads, such as +08:00.';

/** Input the host answers with a 500 or a line of text gets a status and a code on our requests. */
describe('bad input on requests of ours', () => {
  let app: MockServer;
  let key: string;
  let rootKey: string;
  let session: Awaited<ReturnType<typeof createKey>>['agent'];

  const badInput = (res: { status: number; body: any }, status = 400) => {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.errors).toEqual([{ message: expect.any(String), code: ErrorCode.BAD_INPUT }]);
  };
  const todoTitles = async () => (await app.db.getRepository('todos').find({ sort: ['id'] })).map((todo: { get: (name: string) => unknown }) => todo.get('title'));

  beforeAll(async () => {
    app = await createApp();
    const { user } = await setUpTodos(app);
    ({ key, agent: session } = await createKey(app, user));
    const root = await app.db.getRepository('users').findOne({ filterByTk: 1 });
    ({ key: rootKey } = await createKey(app, root, { role: { name: 'root' } }, 'root'));
  });

  afterAll(async () => {
    await app?.destroy();
  });

  it('a body that is not JSON, with a key or to our resources', async () => {
    const broken = '{"title":';
    badInput(await withKey(app, key).post('/api/todos:create').set('Content-Type', 'application/json').send(broken));
    badInput(await session.post('/api/apiKeys:create').set('Content-Type', 'application/json').send(broken));
    badInput(await session.post('/api/apiKeys:update?filterByTk=1').set('Content-Type', 'application/json').send('[1,'));
    const german = await withKey(app, key, { 'X-Locale': 'de-DE' })
      .post('/api/todos:create')
      .set('Content-Type', 'application/json')
      .send(broken);
    badInput(german);
    expect(german.body.errors[0].message).toBe('Der Anfragetext ist kein gültiges JSON.');
  });

  it('a body nested thousands of levels deep, with a key or to our resources: a 400, not a 500 in plain text', async () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    badInput(await withKey(app, key).post('/api/todos:create').set('Content-Type', 'application/json').send(deep));
    badInput(await session.post('/api/apiKeys:create').set('Content-Type', 'application/json').send(`{"name":${deep}}`));
    const nested = (levels: number): unknown => (levels ? { a: nested(levels - 1) } : 'x');
    expect((await withKey(app, key).post('/api/todos:create').send({ title: 'deep enough', nested: nested(60) })).status).toBe(200);
  });

  it('a body in an encoding the server does not read', async () => {
    const res = await withKey(app, key)
      .post('/api/todos:create')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'klingon')
      .send('{"title":"x"}');
    badInput(res, 415);
  });

  it('a body that does not decompress as its Content-Encoding says', async () => {
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const res = await withKey(app, key)
        .post('/api/todos:create')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', encoding)
        .send('{"title":"x"}');
      badInput(res);
    }
  });

  it('X-Data-Source naming no data source', async () => {
    badInput(await withKey(app, key, { 'X-Data-Source': 'nope' }).get('/api/todos:list'));
    badInput(await session.get('/api/apiKeys:list').set('X-Data-Source', 'nope'));
    const german = await withKey(app, key, { 'X-Data-Source': 'nope', 'X-Locale': 'de-DE' }).get('/api/todos:list');
    expect(german.body.errors[0].message).toBe('Der Header X-Data-Source nennt keine vorhandene Datenquelle.');
    expect((await withKey(app, key, { 'X-Data-Source': 'main' }).get('/api/todos:list')).status).toBe(200);
  });

  it('update and destroy that name no rows, and nothing is written', async () => {
    const before = await todoTitles();
    const post = (path: string, body: object = {}) =>
      withKey(app, key).post(path).set('Content-Type', 'application/json').send(body);
    badInput(await post('/api/todos:update', { title: 'all of them' }));
    badInput(await post('/api/todos:destroy'));
    badInput(await post(`/api/todos:update?filter=${encodeURIComponent('{}')}&filterByTk=1`, { title: 'x' }));
    badInput(await post(`/api/todos:destroy?filter=${encodeURIComponent('{"$and":[]}')}`));
    // Filters the host throws away on the way (what every object has; text, not an object).
    for (const filter of ['{"constructor":1}', '{"hasOwnProperty":1}', '"x"', 'x']) {
      badInput(await post(`/api/todos:update?filter=${encodeURIComponent(filter)}`, { title: 'all of them' }));
      badInput(await post(`/api/todos:destroy?filter=${encodeURIComponent(filter)}`));
    }
    expect(await todoTitles()).toEqual(before);

    expect((await post('/api/todos:update?filterByTk=1', { title: 'one' })).status).toBe(200);
    const filter = encodeURIComponent(JSON.stringify({ title: 'one' }));
    expect((await post(`/api/todos:destroy?filter=${filter}`)).status).toBe(200);
    expect(await todoTitles()).toEqual(before.slice(1));
  });
  it('a path that is not valid percent-encoding', async () => {
    badInput(await withKey(app, key).get('/api/todos%zz:list'));
    badInput(await withKey(app, key).get('/api/todos/%25zz/createdBy:get'));
    // A record id is not decoded again: a `%` in it is no bad encoding (on PostgreSQL, no integer).
    const id = await withKey(app, key).get('/api/todos/50%25%20off:get');
    expect(id.body.errors?.[0].message).not.toBe('The request path is not valid percent-encoding.');
    expect(id.status).not.toBe(500);
    badInput(await session.get('/api/apiKeys:list%E0%A4%A'));
  });

  it('a filter that is not JSON, even with a key that is refused', async () => {
    const broken = `/api/todos:list?filter=${encodeURIComponent('{"title":')}`;
    badInput(await withKey(app, key).get(broken));
    badInput(await withKey(app, `${key.slice(0, -4)}AAAA`).get(broken));
    badInput(await session.get(`/api/apiKeys:list?filter=${encodeURIComponent('{bad')}`));
    expect((await withKey(app, key).get(`/api/todos:list?filter=${encodeURIComponent('{"title":"sleep"}')}`)).body.data).toHaveLength(1);
  });

  it('a resource, action or association that does not exist: a 404 with a code', async () => {
    const unknown = (res: { status: number; body: any }) => {
      expect(res.status).toBe(404);
      expect(res.body.errors).toEqual([{ message: 'There is no such resource, action or association.', code: ErrorCode.UNKNOWN_RESOURCE }]);
    };
    unknown(await withKey(app, key).get('/api/nope:list'));
    unknown(await withKey(app, key).get('/api/todos:nope'));
    unknown(await withKey(app, rootKey).get('/api/todos/1/nope:list'));
    unknown(await withKey(app, rootKey).get('/api/todos/1/title:list'));
    // Where the key's role may not go, the ACL answers first: the key learns no field names.
    expect((await withKey(app, key).get('/api/todos/1/nope:list')).status).toBe(403);
    expect((await withKey(app, key).get('/api/users:list?fields=nope')).status).toBe(403);
    expect((await withKey(app, key).post('/api/users:move')).status).toBe(403);
    // An association path on apiKeys is refused as every one is.
    expect((await session.get('/api/apiKeys/1/nope:list')).body.errors[0].code).toBe(ErrorCode.ACTION_NOT_ALLOWED);
    unknown(await session.get('/api/api%4Beys:nope'));
    // A refused key is told so first.
    expect((await withKey(app, `${key.slice(0, -4)}AAAA`).get('/api/todos/1/nope:list')).body.errors[0].code).toBe(ErrorCode.INVALID);
    // An association that exists, and a resource with its own handlers under a dotted name.
    expect((await withKey(app, key).get('/api/todos/1/createdBy:get')).status).not.toBe(404);
  });

  it('a field or operator the collection does not have, where the host would answer a 500', async () => {
    const named = (res: { status: number; body: any }, name: string) => {
      badInput(res);
      expect(res.body.errors[0].message).toBe(`The query names a field or operator that does not exist: ${name}.`);
    };
    const list = (query: string) => withKey(app, key).get(`/api/todos:list?${query}`);
    const rootList = (query: string) => withKey(app, rootKey).get(`/api/todos:list?${query}`);
    const filter = (value: object) => list(`filter=${encodeURIComponent(JSON.stringify(value))}`);
    named(await rootList('fields=nope'), 'nope');
    named(await withKey(app, rootKey).get('/api/todos:get?filterByTk=2&fields=nope'), 'nope');
    // A role with a field list: the ACL keeps only its fields, and none is left.
    for (const res of [await list('fields=nope'), await withKey(app, key).get('/api/todos:get?filterByTk=2&fields=createdBy')]) {
      badInput(res);
      expect(res.body.errors[0].message).toBe('fields names no field this request may read.');
    }
    const notOwn = async (query: string, name: string) => {
      const res = await list(query);
      badInput(res);
      expect(res.body.errors[0].message, query).toBe(`sort and except take the collection’s own fields: ${name} is none.`);
    };
    await notOwn('sort=-createdBy.nope', 'createdBy.nope');
    await notOwn('sort=createdBy..nickname', 'createdBy..nickname');
    await notOwn('sort=createdBy', 'createdBy');
    await notOwn('sort=createdBy.nickname.x', 'createdBy.nickname.x');
    named(await filter({ createdBy: 1 }), 'createdBy');
    named(await filter({ 'createdBy.$exists': true }), 'createdBy');
    named(await filter({ 'createdBy.nope': 1 }), 'nope');
    named(await filter({ $and: [{ title: 'x' }, { createdBy: { nope: 1 } }] }), 'nope');
    named(await filter({ title: { $nope: 1 } }), '$nope');
    named(await filter({ 'title.x': 1 }), 'x');
    for (const name of ['constructor', '__proto__', 'toString']) {
      named(await rootList(`fields=${name}`), name);
      named(await rootList(`fields=${name}.x`), name);
      // The host's ACL has read the filter by then (and made `constructor` an object of its own).
      badInput(await rootList(`filter=${encodeURIComponent(JSON.stringify({ [`createdBy.${name}.x`]: 1 }))}`));
    }
    // appends and except skip names the host does not know, but not those every object has.
    for (const name of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      for (const query of [`appends=${name}`, `appends=createdBy.${name}`, `except=${name}`]) {
        named(await rootList(query), name);
        named(await withKey(app, key).get(`/api/todos:get?filterByTk=1&${query}`), name);
      }
    }
    // Keys of thousands of dotted parts, or objects nested as deep (the host's ACL fails on them).
    let deep: object = { title: 'x' };
    for (let i = 0; i < 70; i++) deep = { $and: [deep] };
    for (const res of [await filter({ [`createdBy.${'x.'.repeat(5000)}y`]: 1 }), await filter({ [`title.${'a.'.repeat(5000)}$nope`]: 1 }), await filter(deep)]) {
      badInput(res);
      expect(res.body.errors[0].message).toBe('The filter nests or chains more than 64 names.');
    }
    // What the host reads: fields, association paths, operators of both kinds, flattened keys.
    // A role without field lists gets an association's fields through `fields` alone.
    expect((await withKey(app, rootKey).get('/api/users:list?fields=roles.name')).status).toBe(200);
    // A JSON column's own keys follow its name.
    const json = encodeURIComponent(JSON.stringify({ 'systemSettings.theme': 'dark' }));
    expect((await withKey(app, rootKey).get(`/api/users:list?filter=${json}`)).status).toBe(200);
    // …but not after an association, nor in a sort: the host has no path there.
    const throughAssociation = encodeURIComponent(JSON.stringify({ 'createdBy.systemSettings.theme': 'dark' }));
    expect((await withKey(app, rootKey).get(`/api/todos:list?filter=${throughAssociation}`)).status).toBe(400);
    expect((await withKey(app, rootKey).get('/api/users:list?sort=systemSettings.theme')).status).toBe(400);
    for (const query of [
      'fields=title,id,createdById',
      'fields=title,createdBy.nickname',
      'fields=title,createdBy.nope',
      'fields=createdBy.nickname&appends=createdBy',
      'sort=-createdAt,title',
      `filter=${encodeURIComponent(JSON.stringify({ $or: [{ title: { $includes: 'ee' } }, { 'createdBy.id': { $eq: 1 } }] }))}`,
      `filter=${encodeURIComponent(JSON.stringify({ createdAt: { $dateOn: { type: 'today' } } }))}`,
      `filter=${encodeURIComponent(JSON.stringify({ 'createdAt.$dateOn.type': 'today' }))}`,
      'appends=nope',
      'appends=createdBy.nope',
      'except=nope',
    ]) {
      expect((await list(query)).status, query).toBe(200);
    }
  });

  it('a filter nested deeper than its paths are read is refused, never let through unread (a password hash by yes/no questions)', async () => {
    let filter: object = { 'createdBy.password': { $startsWith: '8' } };
    for (let i = 0; i < 17; i++) filter = { $and: [filter] };
    const res = await withKey(app, rootKey).get(`/api/todos:list?filter=${encodeURIComponent(JSON.stringify(filter))}`);
    expect(res.status, JSON.stringify(res.body)).toBe(403);
    expect(res.body.errors[0].code).toBe(ErrorCode.ACCOUNT_ACTION_REFUSED);
    for (let i = 0; i < 20; i++) filter = { $and: [filter] };
    badInput(await withKey(app, rootKey).get(`/api/todos:list?filter=${encodeURIComponent(JSON.stringify(filter))}`));
  });

  it('filter operators: only those of the table, each with a value of the shape it takes', async () => {
    const list = (filter: unknown) => withKey(app, rootKey).get(`/api/todos:list?filter=${encodeURIComponent(JSON.stringify(filter))}`);
    const refused = async (filter: unknown, message: string) => {
      const res = await list(filter);
      badInput(res);
      expect(res.body.errors[0].message, JSON.stringify(filter)).toBe(message);
    };
    const notAvailable = (name: string) => `API keys filter with the operators listed in README; ${name} is not one of them.`;
    // $col compares with another column, a hidden one too: the values stay values.
    await refused({ title: { $col: 'title' } }, notAvailable('$col'));
    await refused({ title: { $lt: { $col: 'createdBy.password' } } }, '$lt takes one value: text, a number, true, false or null.');
    await refused({ title: { $eq: { $col: 'title' } } }, '$eq takes a value or a list of values.');
    await refused({ 'title.$placeholder': 1 }, notAvailable('$placeholder'));
    await refused({ $or: [{ title: { $any: ['x'] } }] }, notAvailable('$any'));
    if (app.db.sequelize.getDialect() !== 'postgres') {
      await refused({ title: { $contains: 'x' } }, notAvailable('$contains'));
      await refused({ title: { $iLike: 'x' } }, notAvailable('$iLike'));
    }
    await refused({ title: { $includes: 1 } }, '$includes takes text or a list of text.');
    await refused({ title: { $startsWith: null } }, '$startsWith takes text or a list of text.');
    await refused({ title: { $notIn: 'a' } }, '$notIn takes a list of values.');
    await refused({ title: { $gt: [] } }, '$gt takes one value: text, a number, true, false or null.');
    await refused({ id: { $between: [1] } }, '$between takes a list of two values.');
    await refused({ title: { $like: 1 } }, '$like takes text.');
    await refused({ title: { $is: 'x' } }, '$is takes null, true or false.');
    await refused({ $or: 'x' }, '$or takes a list of filters.');
    await refused({ $and: [{ $or: [{ title: { $match: 1 } }] }] }, '$match takes a list of values.');
    // Inside a name the host does not have (Sequelize reads `$title$` as a column), at any depth.
    let hidden: object = { $title$: { $col: 'title' } };
    for (let i = 0; i < 20; i++) hidden = { $and: [hidden] };
    await refused(hidden, notAvailable('$col'));
    // Only a whole variable stands for a value of any shape, and never for filters.
    await refused({ id: { $between: 'x {{$user.id}}' } }, '$between takes a list of two values.');
    await refused({ $and: '{{$user.roles}}' }, '$and takes a list of filters.');
    // Variables: the listed ones, with a name where they are objects (ctx.state would be printed).
    const notListed = (name: string) => `API keys filter with the variables listed in README; ${name} is not one of them.`;
    await refused({ title: { $like: '{{ctx.state}}' } }, notListed('ctx.state'));
    await refused({ title: '{{ ctx.state.currentUser }}' }, notListed('ctx.state.currentUser'));
    await refused({ $or: [{ title: { $in: ['{{$nDate}}'] } }] }, notListed('$nDate'));
    // Only fields after $user: the host follows any property of the row it loaded, and the app
    // behind its model printed the signing secret of every session in its 500.
    const appKey = '$user.constructor.database.options.migrator.context.app.authManager.jwt.options';
    await refused({ createdById: '{{$user.id}}', title: { $ne: `{{${appKey}}}` } }, notListed(appKey));
    await refused({ createdById: '{{$user.id}}', title: '{{$user.sequelize.config}}' }, notListed('$user.sequelize.config'));
    await refused({ title: '{{$user.id.constructor}}' }, notListed('$user.id.constructor'));
    await refused({ createdAt: { $dateOn: '{{$nDate.today.constructor}}' } }, notListed('$nDate.today.constructor'));
    await refused({ title: '{{$nRole.length}}' }, notListed('$nRole.length'));
    // Names every object has, at any depth: the host's merge drops them, and the filter with them.
    await refused({ $and: [{ constructor: 1 }] }, 'The query names a field or operator that does not exist: constructor.');
    await refused({ title: { constructor: 1 } }, 'The query names a field or operator that does not exist: constructor.');
    // The values of filterKeys are a filter too, and a query's having.
    const firstOrCreate = await withKey(app, rootKey).post('/api/todos:firstOrCreate?filterKeys[]=title').send({ title: { $col: 'title' } });
    badInput(firstOrCreate);
    expect(firstOrCreate.body.errors[0].message).toBe(notAvailable('$col'));
    const having = await withKey(app, rootKey)
      .post('/api/todos:query')
      .send({ dimensions: [{ field: ['title'] }], measures: [{ field: ['id'], aggregation: 'count', alias: 'c' }], having: { title: { $col: 'title' } } });
    badInput(having);
    expect(having.body.errors[0].message).toBe(notAvailable('$col'));
    for (const filter of [
      { title: { $includes: ['a', 'b'] } },
      { title: { $includes: null } },
      { title: { $in: 'x' } },
      { id: { $between: [1, 3] } },
      { $and: { 0: { title: 'x' } } },
      { title: { $not: null } },
      { 'title.$ne': ['a', 'b'] },
      { createdById: { $eq: '{{$user.id}}' } },
      { createdById: { $in: '{{$user.id}}' } },
      { createdAt: { $dateOn: '{{$nDate.today}}' } },
      { title: { $ne: '{{ $user.nickname }}' } },
      { title: { $in: '{{$user.roles.name}}' } },
      { title: { $ne: '{{$nRole}}' } },
      { createdAt: { $dateBefore: '{{$system.now}}' } },
      { createdAt: { $dateOn: { type: 'today' } } },
      { 'createdAt.$dateOn.type': 'today' },
    ]) {
      expect((await list(filter)).status, JSON.stringify(filter)).toBe(200);
    }
  });

  it("a query's measures, dimensions or orders that are not lists of fields", async () => {
    for (const body of [{ measures: 'x' }, { dimensions: [1] }, { orders: { field: ['title'] } }]) {
      const res = await withKey(app, key).post('/api/todos:query').send(body);
      badInput(res);
      expect(res.body.errors[0].message, JSON.stringify(body)).toBe(
        'measures, dimensions and orders take lists of fields; an aggregation is sum, count, avg, min or max; alias, format and order are text.',
      );
    }
  });

  it('a value the database refuses for its column (PostgreSQL; SQLite takes any)', async () => {
    for (const path of ['/api/todos:get?filterByTk=abc', `/api/todos:list?filter=${encodeURIComponent('{"id":"abc"}')}`, '/api/todos:get?filterByTk=99999999999999999999']) {
      const res = await withKey(app, key).get(path);
      if (res.status !== 200) {
        badInput(res);
        expect(res.body.errors[0].message).toBe("A value in the request does not fit its field's type.");
      }
    }
    const notOurs = await session.get('/api/todos:get?filterByTk=abc');
    expect(notOurs.body.errors?.[0].code).toBeUndefined();
    // A record id that spells one of our resources does not make a request ours.
    expect((await session.get('/api/todos/apiKeys:get')).body.errors?.[0].code).toBeUndefined();
    // A value the server itself got wrong (here a hook's cast) stays the server's fault.
    if (app.db.sequelize.getDialect() === 'postgres') {
      const cast = async () => {
        await app.db.sequelize.query("SELECT CAST('made by the server' AS integer)");
      };
      app.db.on('todos.beforeCreate', cast);
      const res = await withKey(app, key).post('/api/todos:create').send({ title: 'x' });
      app.db.off('todos.beforeCreate', cast);
      expect(res.status).toBe(500);
    }
  });

  it("values PostgreSQL refuses, quoted back as it reads them or named by its operator's types", async () => {
    app.db.collection({
      name: 'typed',
      asStrategyResource: true,
      fields: [
        { name: 'n', type: 'integer' },
        { name: 'when', type: 'date' },
        { name: 'title', type: 'string' },
        { name: 'meta', type: 'json' },
        { name: 'price', type: 'decimal', precision: 10, scale: 2 },
      ],
    });
    await app.db.sync();
    await app.db.getRepository('typed').create({ values: { n: 1, when: new Date(), title: 'x', meta: { a: 1 } } });
    const OPERATOR_MESSAGE = 'The request compares, sorts or aggregates a field in a way its type does not take.';
    const postgres = app.db.sequelize.getDialect() === 'postgres';
    const list = (filter: object) => withKey(app, rootKey).get(`/api/typed:list?filter=${encodeURIComponent(JSON.stringify(filter))}`);
    const create = (values: object) => withKey(app, rootKey).post('/api/typed:create').send(values);
    const VALUE_TYPE_MESSAGE = "A value in the request does not fit its field's type.";
    for (const [what, answer, message] of [
      ['an empty text for a number', await list({ n: '' }), VALUE_TYPE_MESSAGE],
      ['an empty text for a number, written', await create({ n: '' }), VALUE_TYPE_MESSAGE],
      ['a quote for an id', await list({ id: '"' }), VALUE_TYPE_MESSAGE],
      ['a date that is none', await list({ when: { $gt: 'abc' } }), VALUE_TYPE_MESSAGE],
      ['a date that is none, written', await create({ when: 'abc' }), VALUE_TYPE_MESSAGE],
      ['a year PostgreSQL does not take, written', await create({ when: '0000-01-01' }), VALUE_TYPE_MESSAGE],
      ['an object for a number, written', await create({ n: { a: 1 } }), VALUE_TYPE_MESSAGE],
      ['a number compared with text', await list({ title: { $gt: 1 } }), OPERATOR_MESSAGE],
      ['a boolean compared with a number', await list({ n: { $eq: true } }), OPERATOR_MESSAGE],
      ['a sort by a JSON field', await withKey(app, rootKey).get('/api/typed:list?sort=meta'), OPERATOR_MESSAGE],
      [
        'a sum of text',
        await withKey(app, rootKey).post('/api/typed:query').send({ measures: [{ field: ['title'], aggregation: 'sum', alias: 's' }] }),
        OPERATOR_MESSAGE,
      ],
      ['text longer than its column', await create({ title: 'x'.repeat(300) }), 'A text in the request is longer than its field takes.'],
      ['a number past its decimal column', await create({ price: 1e30 }), VALUE_TYPE_MESSAGE],
      ['a cast to no type', await list({ 'meta.a::bogus': 1 }), 'A cast in the filter names no type the database knows.'],
    ] as const) {
      expect(answer.status, `${what}: ${JSON.stringify(answer.body)}`).toBeLessThan(500);
      if (postgres) {
        expect(answer.body.errors, what).toEqual([{ code: ErrorCode.BAD_INPUT, message }]);
      }
    }
  });

  const NUL_TEXT = 'Text in the request holds a NUL character, which the database does not take.';

  it('a NUL character anywhere in a key request: SQLite ends its SQL there, PostgreSQL writes it as the text \\0', async () => {
    const nul = (res: { status: number; body: any }, what: string) => {
      expect(res.status, what).toBe(400);
      expect(res.body.errors, what).toEqual([{ message: 'Text in the request holds a NUL character, which the database does not take.', code: ErrorCode.BAD_INPUT }]);
    };
    app.db.collection({ name: 'notes', asStrategyResource: true, fields: [{ name: 'title', type: 'string' }, { name: 'meta', type: 'json' }] });
    await app.db.sync();
    const post = (path: string, body: object) => withKey(app, rootKey).post(path).send(body);
    const filter = encodeURIComponent(JSON.stringify({ title: '\u0000' }));
    const listed = await withKey(app, rootKey).get(`/api/notes:list?filter=${filter}`);
    const found = await post('/api/notes:firstOrCreate?filterKeys[]=title', { title: 'a\u0000' });
    const inJson = await post('/api/notes:create', { title: 'b', meta: { note: 'c\u0000' } });
    const inName = await post('/api/notes:create', { title: 'b', meta: { 'c\u0000': 1 } });
    // The resourcer decodes an association's id twice.
    nul(await withKey(app, rootKey).get('/api/notes/%2500/marks:list'), 'a source id decoded twice');
    nul(listed, 'list');
    nul(found, 'firstOrCreate');
    // In a JSON field PostgreSQL would keep it, then fail every JSON-path filter on the collection.
    nul(inJson, 'a JSON value');
    nul(inName, 'a JSON name');
    expect(await app.db.getRepository('notes').count()).toBe(0);
    expect((await post('/api/notes:create', { title: 'b', meta: { note: 'c' } })).status).toBe(200);
    // Nor where no request check reads (a multipart field, an upload's file name, an imported
    // cell): a write made for a key request, as those are, holds none either.
    const forKey = { state: { apiKey: { id: 1 } }, request: { is: () => 'multipart/form-data' } } as any;
    const notes = app.db.getRepository('notes');
    await expect(notes.create({ values: { title: 'a\u0000b' }, context: forKey })).rejects.toThrow(NUL_TEXT);
    await expect(notes.create({ values: [{ title: 'ok' }, { title: 'a', meta: { n: 'x\u0000' } }], context: forKey })).rejects.toThrow(NUL_TEXT);
    await expect(notes.update({ filter: { title: 'b' }, values: { title: 'a\u0000' }, context: forKey })).rejects.toThrow(NUL_TEXT);
    await expect(app.db.getModel('notes').bulkCreate([{ title: 'x\u0000' }], { context: forKey } as any)).rejects.toThrow(NUL_TEXT);
    expect(await notes.count({ filter: { title: { $includes: 'a' } } })).toBe(0);
    expect((await notes.update({ filter: { title: 'b' }, values: { title: 'c' }, context: forKey })).length).toBe(1);
  });

  it("parameters the host's generic actions cannot do without", async () => {
    const post = (path: string, body: object = {}) => withKey(app, key).post(path).set('Content-Type', 'application/json').send(body);
    const before = await todoTitles();
    for (const action of ['updateOrCreate', 'firstOrCreate']) {
      const res = await post(`/api/todos:${action}`, { title: 'x' });
      badInput(res);
      expect(res.body.errors[0].message).toBe(`${action} needs filterKeys: the fields that find the row.`);
      badInput(await post(`/api/todos:${action}?filterKeys[]=nope`, { title: 'x' }));
    }
    expect(await todoTitles()).toEqual(before);
    expect((await post('/api/todos:updateOrCreate?filterKeys[]=title', { title: 'sleep', completed: true })).status).toBe(200);
    const move = await post('/api/todos:move', { sourceId: 2, targetId: 3 });
    badInput(move);
    expect(move.body.errors[0].message).toBe('move needs a sort field: sort is none.');
  });

  it("move: rows that are not there, or that the key's role may not update, are refused and nothing moves", async () => {
    // Collections of the collection manager's kind: data a role's strategy covers.
    app.db.collection({ name: 'tags', asStrategyResource: true, fields: [{ name: 'name', type: 'string' }] });
    app.db.collection({
      name: 'tasks',
      asStrategyResource: true,
      createdBy: true,
      fields: [
        { name: 'title', type: 'string' },
        { name: 'sort', type: 'sort' },
        { name: 'tags', type: 'belongsToMany', target: 'tags' },
        { name: 'parent', type: 'belongsTo', target: 'tasks', foreignKey: 'parentId' },
      ],
    });
    await app.db.sync();
    const owner = await app.db.getRepository('users').findOne({ filter: { username: 'todos' } });
    for (const [title, createdById] of [['theirs 1', 1], ['mine 1', owner.id], ['mine 2', owner.id], ['theirs 2', 1]]) {
      // createdBy is the creating request's user: a row made here gets its creator set after.
      const task = await app.db.getRepository('tasks').create({ values: { title } });
      await app.db.getModel('tasks').update({ createdById }, { where: { id: task.get('id') }, hooks: false });
    }
    await app.db.getRepository('roles').create({
      values: {
        name: 'own-tasks',
        resources: [
          {
            name: 'tasks',
            usingActionsConfig: true,
            actions: [
              { name: 'view' },
              { name: 'update', scope: { name: 'own', resourceName: 'tasks', scope: { createdById: '{{$user.id}}' } } },
            ],
          },
        ],
      },
    });
    await app.db.getRepository<any>('users.roles', owner.id).add({ tk: 'own-tasks' });
    const { key: ownKey } = await createKey(app, owner, { role: { name: 'own-tasks' } });
    const order = async () => (await app.db.getRepository('tasks').find({ sort: ['sort'] })).map((task: { get: (name: string) => unknown }) => task.get('title'));
    const before = await order();
    const move = (values: Record<string, unknown>) => withKey(app, ownKey).post(`/api/tasks:move?${qs.stringify(values)}`);
    for (const values of [
      { sourceId: 99, targetId: 2 },
      { sourceId: 2, targetId: 99 },
      { sourceId: 1, targetId: 2 },
      { sourceId: 2, targetId: 4 },
      { sourceId: 4, sticky: true },
      { sourceId: 1, targetScope: { title: 'x' } },
    ]) {
      const res = await move(values);
      badInput(res);
      expect(res.body.errors[0].message, JSON.stringify(values)).toBe('There is no record this request may move: {{id}}.'.replace('{{id}}', String(values.sourceId === 2 && 'targetId' in values ? values.targetId : values.sourceId)));
    }
    badInput(await move({ sourceId: { $ne: 0 }, targetId: 2 }));
    expect(await order()).toEqual(before);
    expect((await move({ sourceId: 3, targetId: 2 })).status).toBe(200);
    expect(await order()).toEqual(['theirs 1', 'mine 2', 'mine 1', 'theirs 2']);

    // A role whose update lists its fields: move writes the sort field, so it must be listed.
    const onlyTitle = await app.db.getRepository('roles').create({
      values: { name: 'task-titles', resources: [{ name: 'tasks', usingActionsConfig: true, actions: [{ name: 'update', fields: ['title'] }] }] },
    });
    await app.db.getRepository<any>('users.roles', owner.id).add({ tk: onlyTitle.get('name') });
    const { key: titleKey } = await createKey(app, owner, { role: { name: 'task-titles' } });
    const refused = await withKey(app, titleKey).post('/api/tasks:move?sourceId=2&targetId=3');
    badInput(refused);
    expect(refused.body.errors[0].message).toBe('move writes sort, which this request may not change.');
    expect(await order()).toEqual(['theirs 1', 'mine 2', 'mine 1', 'theirs 2']);

    // Through an association the host moves any row of the target by id, while the
    // association's repository would check others (a belongs-to finds its one related row,
    // whatever the ids), and on a belongs-to-many it fails with a 500: refused.
    await app.db.getModel('tasks').update({ parentId: 2 }, { where: { id: 3 }, hooks: false });
    const tags = await app.db.getRepository('tags').create({ values: [{ name: 'a' }, { name: 'b' }] });
    await app.db.getRepository<any>('tasks.tags', 1).set(tags.map((tag: { get: (name: string) => unknown }) => tag.get('id')));
    for (const [key, path] of [
      [ownKey, '/api/tasks/3/parent:move?sourceId=1&targetId=4'],
      [ownKey, '/api/tasks/3/parent:move?sourceId=4&sticky=true'],
      [rootKey, '/api/tasks/1/tags:move?sourceId=1&targetId=2'],
    ]) {
      const res = await withKey(app, key).post(path);
      badInput(res);
      expect(res.body.errors[0].message, path).toBe('With an API key, move sorts the rows of a collection, not through an association.');
    }
    expect(await order()).toEqual(['theirs 1', 'mine 2', 'mine 1', 'theirs 2']);
  });

  it('page and pageSize that are not whole numbers', async () => {
    for (const query of ['page=abc', 'pageSize=abc', 'pageSize=-5', 'page=0', 'page=-1', 'page[a]=1', 'page', 'page=9007199254740991&pageSize=1000000000']) {
      badInput(await withKey(app, key).get(`/api/todos:list?${query}`));
    }
    for (const query of ['page=%201', 'pageSize=%2B1', 'pageSize=20.0', 'page=1.5', 'pageSize=1000000000']) {
      expect((await withKey(app, key).get(`/api/todos:list?${query}`)).status, query).toBe(200);
    }
    expect((await withKey(app, key).get('/api/todos:list?page=2&pageSize=1')).body.data).toHaveLength(1);
  });

  it("the host's answer to a database's refusal gets a code, its message kept", async () => {
    const res = await withKey(app, key).get('/api/todos:get?filterByTk[a]=1');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: 'Invalid SQL column or table reference', code: ErrorCode.BAD_INPUT }]);
  });

  it('values the host fails on while building the query, and its own thrown 400s, get a status and a code', async () => {
    const filtered = (filter: object) => withKey(app, rootKey).get(`/api/todos:list?filter=${encodeURIComponent(JSON.stringify(filter))}`);
    const cases: [string, Promise<{ status: number; body: any }>, string][] = [
      ['an object in $in', filtered({ title: { $in: [{ a: 1 }] } }), '$in takes a value or a list of values.'],
      ['a nested object in $in', filtered({ $and: [{ title: { $in: [{ a: { b: { c: 1 } } }] } }] }), '$in takes a value or a list of values.'],
      [
        'a filterByTk object the database refuses',
        withKey(app, key).post('/api/todos:update?filterByTk[$or][0][id]=2').send({ title: 'x' }),
        'A value in the filter does not fit its operator.',
      ],
      ['no date for $dateOn', filtered({ createdAt: { $dateOn: 'someday' } }), 'A date in the filter is not one the server reads.'],
      ['a relative date of no known type', filtered({ createdAt: { $dateOn: { type: 'fortnight' } } }), 'A date in the filter is not one the server reads.'],
      ...[{ a: 1 }, true, null, ['x'], { type: 5 }].map(
        (value): [string, Promise<{ status: number; body: any }>, string] => [
          `$dateOn ${JSON.stringify(value)}`,
          filtered({ $or: [{ createdAt: { $dateOn: value } }] }),
          'A date in the filter is not one the server reads.',
        ],
      ),
      // Values the host's range parser fails on with a TypeError or a RangeError, at any path.
      ...[
        { createdAt: { $dateBetween: ['x', 'y'] } },
        { createdAt: { $dateBetween: [null, null] } },
        { createdAt: { $dateBefore: ['2024-01-01', 'x'] } },
        { createdAt: { $dateBetween: ['2024', '2025', 5] } },
        { createdAt: { $dateOn: '(a,b)' } },
        { createdAt: { $dateAfter: 'soonZ' } },
        { createdAt: { $dateNotOn: 5 } },
        { createdAt: { $dateOn: { type: 'past', number: 'x', unit: 'bogus' } } },
        { 'createdAt.$dateBetween.0': 'x', 'createdAt.$dateBetween.1': 'y' },
        { 'createdBy.createdAt': { $dateOn: [1, 2] } },
      ].map((filter): [string, Promise<{ status: number; body: any }>, string] => [
        JSON.stringify(filter),
        filtered(filter),
        'A date in the filter is not one the server reads.',
      ]),
      [
        'a time zone the host cannot use',
        withKey(app, rootKey).get(`/api/todos:list?filter=${encodeURIComponent(JSON.stringify({ createdAt: { $dateOn: '2024-01-01' } }))}`).set('X-Timezone', 'Mars/Olympus'),
        TIMEZONE_MESSAGE,
      ],
      [
        'firstOrCreate with an object for a value of filterKeys',
        withKey(app, rootKey).post('/api/todos:firstOrCreate?filterKeys[]=title').send({ title: { a: 1 } }),
        'firstOrCreate finds its row by the values of filterKeys: each is a value, not an object or a list.',
      ],
      [
        'updateOrCreate with an operator for a value of filterKeys, which would find another row',
        withKey(app, rootKey).post('/api/todos:updateOrCreate?filterKeys[]=title').send({ title: { $ne: 'zzz' }, completed: true }),
        'updateOrCreate finds its row by the values of filterKeys: each is a value, not an object or a list.',
      ],
      [
        'query with an aggregation it does not know',
        withKey(app, rootKey).post('/api/todos:query').send({ measures: [{ field: ['title'], aggregation: 'median', alias: 'n' }] }),
        'measures, dimensions and orders take lists of fields; an aggregation is sum, count, avg, min or max; alias, format and order are text.',
      ],
      ...[{ n: { $dateOn: 'x' } }].map((having): [string, Promise<{ status: number; body: any }>, string] => [
        `query with having ${JSON.stringify(having)}`,
        withKey(app, rootKey).post('/api/todos:query').send({ measures: [{ field: ['title'], aggregation: 'count', alias: 'n' }], having }),
        "query's having takes plain comparison operators ($eq, $gt, $in, …).",
      ]),
      ['a bulk update record without its id', withKey(app, rootKey).post('/api/todos:update?filterByTk=1').send([1]), 'Each record of a bulk update needs its primary key.'],
      ['a text id', withKey(app, rootKey).post('/api/todos:create').send({ id: 'abc', title: 'x' }), "A value in the request does not fit its field's type."],
    ];
    for (const [what, request, message] of cases) {
      const res = await request;
      badInput(res);
      expect(res.body.errors[0].message, what).toBe(message);
    }
    // Dates the host reads, variables it fills in, and the flattened paths it takes, still pass.
    for (const filter of [
      { createdAt: { $dateOn: { type: 'today' } } },
      { createdAt: { $dateBetween: ['2024-01-01', '2024-12-31'] } },
      { createdAt: { $dateBetween: '[2024,2025]' } },
      { 'createdAt.$dateOn.type': 'today' },
      { $or: [{ createdAt: { $dateNotOn: '2024' } }] },
      { createdAt: { $dateBefore: '{{$user.createdAt}}' } },
    ]) {
      expect((await filtered(filter)).status, JSON.stringify(filter)).toBe(200);
    }
    // A 400 the host throws (not one it answers) gets the code too, its message kept.
    const query = await withKey(app, rootKey).post('/api/todos:query?measures[0][field]=id&measures[0][aggregation]=bogus');
    expect(query.status).toBe(400);
    expect(query.body.errors).toEqual([{ message: 'Query action requires at least one measure or dimension', code: ErrorCode.BAD_INPUT }]);
    expect(await app.db.getRepository('todos').count({ filter: { title: 'x' } })).toBe(0);

    // The same failure from what the server adds (a role's scope with a bad date) is the server's.
    await app.db.getRepository('roles').create({
      values: {
        name: 'bad-scope',
        resources: [{ name: 'todos', usingActionsConfig: true, actions: [{ name: 'view', scope: { name: 'bad', resourceName: 'todos', scope: { createdAt: { $dateOn: 'a' } } } }] }],
      },
    });
    const owner = await app.db.getRepository('users').findOne({ filter: { username: 'todos' } });
    await app.db.getRepository<any>('users.roles', owner.id).add({ tk: 'bad-scope' });
    const { key: scopedKey } = await createKey(app, owner, { role: { name: 'bad-scope' } });
    expect((await withKey(app, scopedKey).get('/api/todos:list')).status).toBe(500);
    expect((await withKey(app, scopedKey).get(`/api/todos:list?filter=${encodeURIComponent('{"title":"a"}')}`)).status).toBe(500);
    // The host reads a list's filter in the query only: one in the body is not the request's.
    expect((await withKey(app, scopedKey).post('/api/todos:list').send({ filter: { title: { $dateOn: 'a' } } })).status).toBe(500);
    // A scope with a value Sequelize refuses, beside a filter of the request's own.
    await app.db.getRepository('roles').create({
      values: {
        name: 'bad-in',
        resources: [{ name: 'todos', usingActionsConfig: true, actions: [{ name: 'view', scope: { name: 'bad', resourceName: 'todos', scope: { title: { $in: [{ a: 1 }] } } } }] }],
      },
    });
    await app.db.getRepository<any>('users.roles', owner.id).add({ tk: 'bad-in' });
    const { key: inKey } = await createKey(app, owner, { role: { name: 'bad-in' } });
    expect((await withKey(app, inKey).get(`/api/todos:list?filter=${encodeURIComponent('{"title":"a"}')}`)).status).toBe(500);
  });

  it('an X-Timezone the host cannot use, with a key or on our resources', async () => {
    // A role's scope with a relative date, which the host fills in the request's time zone.
    await app.db.getRepository('roles').create({
      values: {
        name: 'today-scope',
        resources: [{ name: 'todos', usingActionsConfig: true, actions: [{ name: 'view', scope: { name: 'today', resourceName: 'todos', scope: { createdAt: { $dateOn: { type: 'today' } } } } }] }],
      },
    });
    const owner = await app.db.getRepository('users').findOne({ filter: { username: 'todos' } });
    await app.db.getRepository<any>('users.roles', owner.id).add({ tk: 'today-scope' });
    const { key: scopedKey } = await createKey(app, owner, { role: { name: 'today-scope' } });
    // A zone's name too: the host's date parser, which fills in the scope, reads offsets only (a 500).
    for (const timezone of ['abc', '+8', 'Mars/Olympus', '-5', '+99:99', 'Asia/Shanghai']) {
      const res = await withKey(app, scopedKey, { 'X-Timezone': timezone }).get('/api/todos:list');
      badInput(res);
      expect(res.body.errors[0].message, timezone).toBe(TIMEZONE_MESSAGE);
      badInput(await session.get('/api/apiKeys:list').set('X-Timezone', timezone));
    }
    for (const timezone of ['+08:00', '-05:30', '+00:00']) {
      expect((await withKey(app, scopedKey, { 'X-Timezone': timezone }).get('/api/todos:list')).status, timezone).toBe(200);
    }
  });

  it('dates are read as the host reads them: a filter as a list, lodash paths, fields without a time zone, long values', async () => {
    app.db.collection({ name: 'events', asStrategyResource: true, fields: [{ name: 'day', type: 'dateOnly' }, { name: 'meta', type: 'json' }] });
    await app.db.sync();
    const list = (resource: string, filter: unknown, timezone?: string) => {
      const req = withKey(app, rootKey).get(`/api/${resource}:list?filter=${encodeURIComponent(JSON.stringify(filter))}`);
      return timezone ? req.set('X-Timezone', timezone) : req;
    };
    const message = 'A date in the filter is not one the server reads.';
    for (const [what, request] of [
      ['a filter sent as a list', list('todos', [{ createdAt: { $dateOn: 5 } }])],
      ['an operator named through lodash escapes', list('events', { 'meta.x["$d\\ateOn"]': 5 })],
      ['a value the host reads at another path than the dots say', list('events', { 'meta.["x[0]"]': { $dateOn: '2024' }, 'meta.x': 'abc' })],
      ['a value longer than any date', list('todos', { createdAt: { $dateOn: `2024-01-01T00:00:00.${'0'.repeat(300)}Z` } })],
    ] as const) {
      const res = await request;
      badInput(res);
      expect(res.body.errors[0].message, what).toBe(message);
    }
    // The filter's name percent-encoded, as the host's query parser decodes it.
    badInput(await withKey(app, rootKey).get(`/api/todos:list?%66ilter=${encodeURIComponent(JSON.stringify({ createdAt: { $dateOn: 'x' } }))}`));
    // Years the parser writes but PostgreSQL refuses (the host answers a 500); SQLite keeps any.
    const postgres = app.db.sequelize.getDialect() === 'postgres';
    for (const filter of [{ createdAt: { $dateOn: '-000001-01-01T00:00:00Z' } }, { createdAt: { $dateBefore: ['0000-06-01T00:00:00Z', '2024'] } }]) {
      const res = await list('todos', filter);
      if (postgres) {
        badInput(res);
      } else {
        expect(res.status, JSON.stringify(filter)).toBe(200);
      }
    }
    // $dateBetween reads the first two characters of one instant: the host answers, so do we;
    // a range's end past 9999 that the operator does not read, or that the database takes.
    for (const filter of [
      { createdAt: { $dateBetween: '2024-01-01T00:00:00Z' } },
      { createdAt: { $dateBefore: '9999-12-31' } },
      { createdAt: { $dateAfter: '9999-12-31' } },
      { createdAt: { $dateOn: '9999-12-31' } },
      { day: { $dateNotBefore: '9999' } },
    ]) {
      const res = await list(filter.day ? 'events' : 'todos', filter);
      expect(res.status, `${JSON.stringify(filter)}: ${JSON.stringify(res.body)}`).toBe(200);
    }
    badInput(await list('todos', { createdAt: { $dateBetween: '+010000-01-01T00:00:00Z' } }));
    // Filters the host reads from the body: the aggregate query's, and firstOrCreate's and
    // updateOrCreate's values of filterKeys. Nothing is written.
    const measures = [{ field: ['title'], aggregation: 'count', alias: 'n' }];
    const todos = await app.db.getRepository('todos').count();
    // (The values of filterKeys take no operator at all.)
    const byValues = (action: string) => `${action} finds its row by the values of filterKeys: each is a value, not an object or a list.`;
    const fromBody: [string, Promise<{ status: number; body: any }>, string][] = [
      ['query', withKey(app, rootKey).post('/api/todos:query').send({ measures, filter: { createdAt: { $dateOn: 'x' } } }), message],
      ['query, a range', withKey(app, rootKey).post('/api/todos:query').send({ measures, filter: { createdAt: { $dateBetween: ['x', 'y'] } } }), message],
      ['firstOrCreate', withKey(app, rootKey).post('/api/todos:firstOrCreate?filterKeys[]=title').send({ title: { $dateOn: 'x' } }), byValues('firstOrCreate')],
      [
        'updateOrCreate',
        withKey(app, rootKey).post('/api/todos:updateOrCreate?filterKeys[]=title').send({ title: { $dateBetween: [null, null] } }),
        byValues('updateOrCreate'),
      ],
    ];
    for (const [what, request, expected] of fromBody) {
      const res = await request;
      badInput(res);
      expect(res.body.errors[0].message, what).toBe(expected);
    }
    expect(await app.db.getRepository('todos').count()).toBe(todos);
    const query = await withKey(app, rootKey).post('/api/todos:query').send({ measures, filter: { createdAt: { $dateOn: { type: 'today' } } } });
    expect(query.status, JSON.stringify(query.body)).toBe(200);
    // A date-only field's range is read in UTC whatever time zone it names, as the host reads it.
    expect((await list('events', { day: { $dateBetween: ['2024-01-01', '2024-01-31', '[]', 'Asia/Shanghai'] } })).status).toBe(200);
    expect((await list('events', { day: { $dateOn: { type: 'past', number: 3, unit: 'day' } } }, '+08:00')).status).toBe(200);
  });

  it('query, firstOrCreate and updateOrCreate on a collection the role may not use: the host\'s 403, never a 400 naming its fields', async () => {
    app.db.collection({ name: 'vault', asStrategyResource: true, fields: [{ name: 'secret', type: 'string' }, { name: 'day', type: 'dateOnly' }] });
    await app.db.sync();
    const refused = [
      withKey(app, key).post('/api/vault:firstOrCreate?filterKeys[]=nope').send({ nope: 1 }),
      withKey(app, key).post('/api/vault:updateOrCreate?filterKeys[]=nope').send({ nope: 1 }),
      withKey(app, key).post('/api/vault:firstOrCreate?filterKeys[]=day').send({ day: { $dateOn: 'x' } }),
      withKey(app, key).post('/api/vault:query').send({ measures: [{ field: ['secret'], aggregation: 'count', alias: 'n' }], filter: { day: { $dateOn: 'x' } } }),
    ];
    for (const res of await Promise.all(refused)) {
      expect(res.status, JSON.stringify(res.body)).toBe(403);
      expect(res.body.errors).toEqual([{ message: 'No permissions', code: ErrorCode.NO_PERMISSION }]);
    }
    expect(await app.db.getRepository('vault').count()).toBe(0);
    // On its own collection the role's key still finds or creates.
    const made = await withKey(app, key).post('/api/todos:firstOrCreate?filterKeys[]=title').send({ title: 'made by firstOrCreate' });
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    badInput(await withKey(app, key).post('/api/todos:firstOrCreate?filterKeys[]=nope').send({ nope: 1 }));
    await app.db.getRepository('todos').destroy({ filter: { title: 'made by firstOrCreate' } });
  });

  it("the host's 403 gets a code on requests of ours: a session without the API keys permission, a key whose role lacks the action", async () => {
    const noPermission = (res: { status: number; body: any }, what: string) => {
      expect(res.status, what).toBe(403);
      expect(res.body.errors, what).toEqual([{ message: 'No permissions', code: ErrorCode.NO_PERMISSION }]);
    };
    const member = await createUser(app, 'no-key-manager', ['member']);
    const memberSession = await app.agent().login(member, 'member');
    noPermission(await memberSession.get('/api/apiKeys:list'), 'apiKeys:list');
    noPermission(await memberSession.post('/api/apiKeys:create').send({ name: 'x', role: { name: 'member' }, expiresIn: '1d' }), 'apiKeys:create');
    noPermission(await memberSession.get('/api/apiKeysHandover:get'), 'apiKeysHandover:get');
    noPermission(await withKey(app, key).get('/api/users:list'), 'a key on a collection its role may not use');
    // Not ours: the host's answer as it is.
    expect((await memberSession.post('/api/roles:create').send({ name: 'x' })).body.errors).toEqual([{ message: 'No permissions' }]);
  });

  it("requests that are not ours keep the host's answers", async () => {
    expect((await session.get('/api/nope:list')).text).toBe('Not Found');
    expect((await session.get('/api/todos:list?page=abc')).body.errors[0].code).toBeUndefined();
  });
});

describe("with the prefix a real app has (NocoBase's API_BASE_PATH defaults to /api/)", () => {
  let app: MockServer;

  beforeAll(async () => {
    app = await createApp({ resourcer: { prefix: '/api/' } });
  });

  afterAll(async () => {
    await app?.destroy();
  });

  it('a session request to our resources is still ours', async () => {
    const root = await app.db.getRepository('users').findOne({ filterByTk: 1 });
    const session = await app.agent().login(root);
    const unknown = await session.get('/api/apiKeys:nothing');
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors[0].code).toBe(ErrorCode.UNKNOWN_RESOURCE);
    const source = await session.get('/api/apiKeys:list').set('X-Data-Source', 'nope');
    expect(source.status).toBe(400);
    expect(source.body.errors[0].code).toBe(ErrorCode.BAD_INPUT);
    expect((await session.get('/api/apiKeys:list')).status).toBe(200);
  });
});

describe('the export and import plugins, with a key', () => {
  let app: MockServer;
  let rootKey: string;

  beforeAll(async () => {
    app = await createApp({ extraPlugins: ['action-export', 'action-import'] });
    await setUpTodos(app);
    const root = await app.db.getRepository('users').findOne({ filterByTk: 1 });
    ({ key: rootKey } = await createKey(app, root, { role: { name: 'root' } }, 'root'));
  });

  afterAll(async () => {
    await app?.destroy();
  });

  it('columns the exporter cannot resolve are a 400, not its 500', async () => {
    const exported = (columns?: unknown) => withKey(app, rootKey).post('/api/todos:export').send(columns === undefined ? {} : { columns });
    const shape = 'export needs columns: a list of { dataIndex: [a field, …] }.';
    for (const [columns, message] of [
      [undefined, shape],
      ['x', shape],
      [[{ dataIndex: 'title' }], shape],
      [[{ dataIndex: [] }], shape],
      ['[{"dataIndex":["nope"]}]', 'The query names a field or operator that does not exist: nope.'],
      [[{ dataIndex: ['title', 'length'] }], 'The query names a field or operator that does not exist: length.'],
      [[{ dataIndex: ['createdBy', 'nope'] }], 'The query names a field or operator that does not exist: nope.'],
    ] as const) {
      const res = await exported(columns);
      expect(res.status, JSON.stringify(columns)).toBe(400);
      expect(res.body.errors, JSON.stringify(columns)).toEqual([{ message, code: ErrorCode.BAD_INPUT }]);
    }
    for (const columns of [[{ dataIndex: ['title'], title: 'Title' }], [{ dataIndex: ['createdBy', 'nickname'] }], [{ dataIndex: ['createdBy'] }]]) {
      expect((await exported(columns)).status, JSON.stringify(columns)).toBe(200);
    }
  });

  it('an export while another one runs is a 429 to retry, not the plugin\'s 500', async () => {
    const columns = [{ dataIndex: ['title'], title: 'Title' }];
    const answers = await Promise.all([1, 2, 3, 4].map(() => withKey(app, rootKey).post('/api/todos:export').set('X-Locale', 'de-DE').send({ columns })));
    const statuses = answers.map((res) => res.status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    expect(statuses.every((status) => status === 200 || status === 429), String(statuses)).toBe(true);
    for (const res of answers.filter(({ status }) => status === 429)) {
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body.errors).toEqual([
        { message: 'Auf diesem Server läuft bereits ein anderer Vorgang export; versuchen Sie es gleich noch einmal.', code: ErrorCode.BUSY },
      ]);
    }
  });

  it('an import refused for its columns while another runs is still the 429 to retry, and a 400 says nothing of retrying', async () => {
    // A sheet of a thousand rows: its import holds the plugin's lock for a while.
    await app.db.getRepository('todos').createMany({ records: Array.from({ length: 1000 }, (_, i) => ({ title: `row ${i}` })) });
    const columns = [{ dataIndex: ['title'], defaultTitle: 'Title', title: 'Title' }];
    const exported = withKey(app, rootKey).post('/api/todos:export').buffer(true);
    const sheet = (await exported
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .send({ columns })).body as Buffer;
    const imported = (cols: unknown) =>
      withKey(app, rootKey).post('/api/todos:importXlsx').attach('file', sheet, 'todos.xlsx').field('columns', JSON.stringify(cols));
    const meanwhile: { status: number; headers: Record<string, string> }[] = [];
    // The sheet's import takes the lock first (a probe that does is seen as the 429 of the import).
    for (let attempt = 0; attempt < 5 && !meanwhile.some(({ status }) => status === 429); attempt++) {
      let settled = false;
      const running = imported(columns).then((res) => ((settled = true), res));
      while (!settled && !meanwhile.some(({ status }) => status === 429)) {
        meanwhile.push(await imported([{ dataIndex: ['nope'] }]));
      }
      expect([200, 429]).toContain((await running).status);
    }
    expect(meanwhile.map(({ status }) => status)).toContain(429);
    for (const res of meanwhile) {
      expect([400, 429]).toContain(res.status);
      expect(res.headers['retry-after'], String(res.status)).toBe(res.status === 429 ? '1' : undefined);
    }
    // The model's own destroy: the repository's would name each of the 2,000 rows in one query.
    await app.db.getModel('todos').destroy({ where: { title: { [Op.like]: 'row %' } } });
  });

  it('importXlsx without a file, or with columns that are no field paths, is a 400, not its 500', async () => {
    const noFile = 'importXlsx takes a multipart/form-data body: the spreadsheet in its field file, and columns.';
    const answers: [string, Promise<{ status: number; body: any }>, string][] = [
      ['a JSON body', withKey(app, rootKey).post('/api/todos:importXlsx').send({ columns: [] }), noFile],
      ['no file', withKey(app, rootKey).post('/api/todos:importXlsx').field('columns', '[{"dataIndex":["title"]}]'), noFile],
      [
        'columns not JSON',
        withKey(app, rootKey).post('/api/todos:importXlsx').attach('file', Buffer.from('title\nx\n'), 'todos.xlsx').field('columns', 'x'),
        'importXlsx needs columns: a list of { dataIndex: [a field, …] }.',
      ],
      [
        'a column that is no field',
        withKey(app, rootKey).post('/api/todos:importXlsx').attach('file', Buffer.from('title\nx\n'), 'todos.xlsx').field('columns', '[{"dataIndex":["nope"]}]'),
        'The query names a field or operator that does not exist: nope.',
      ],
    ];
    for (const [what, request, message] of answers) {
      const res = await request;
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.errors, what).toEqual([{ message, code: ErrorCode.BAD_INPUT }]);
    }
    expect(await app.db.getRepository('todos').count({ filter: { title: 'x' } })).toBe(0);
  });

  it('downloadXlsxTemplate takes its columns as a list, not as JSON text (the host answers that with a 500)', async () => {
    const template = (columns: unknown) => withKey(app, rootKey).post('/api/todos:downloadXlsxTemplate').send({ columns, title: 'todos' });
    const columns = [{ dataIndex: ['title'], defaultTitle: 'Title' }];
    for (const bad of [JSON.stringify(columns), undefined, [1]]) {
      const res = await template(bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.errors).toEqual([{ message: 'downloadXlsxTemplate needs columns: a list of { dataIndex: [a field, …] }.', code: ErrorCode.BAD_INPUT }]);
    }
    expect((await template(columns)).status).toBe(200);
  });

  it('importXlsx leaves no upload on disk when it is refused, and its upload step refuses with a 400', async () => {
    // The upload step writes to storage/tmp before the ACL and our checks.
    const uploads = join(process.cwd(), 'storage', 'tmp');
    const left = () => (existsSync(uploads) ? readdirSync(uploads).filter((name) => name.startsWith('import-')) : []);
    const before = left();
    const sheet = Buffer.from('title\nx\n');
    const user = await app.db.getRepository('users').findOne({ filter: { username: 'todos' } });
    const { key: todosKey } = await createKey(app, user);
    const refused = [
      // The key's role may not import: the ACL's 403.
      await withKey(app, todosKey).post('/api/todos:importXlsx').attach('file', sheet, 'todos.xlsx').field('columns', '[{"dataIndex":["title"]}]'),
      await withKey(app, rootKey).post('/api/todos:importXlsx').attach('file', sheet, 'todos.xlsx').field('columns', 'x'),
      await withKey(app, rootKey).post('/api/todos:importXlsx?filter[nope]=1').attach('file', sheet, 'todos.xlsx').field('columns', '[{"dataIndex":["title"]}]'),
    ];
    expect(refused.map((res) => res.status)).toEqual([403, 400, 400]);
    expect(left()).toEqual(before);
    const otherField = await withKey(app, rootKey).post('/api/todos:importXlsx').attach('upload', sheet, 'todos.xlsx').field('columns', '[{"dataIndex":["title"]}]');
    expect(otherField.status).toBe(400);
    expect(otherField.body.errors).toEqual([{ message: 'The upload is not as importXlsx takes it: Unexpected file field.', code: ErrorCode.BAD_INPUT }]);
    // A multipart body its parser cannot read: a part without its header, a body cut short.
    for (const body of ['--b\r\nno header here\r\n\r\nx\r\n--b--\r\n', '--b\r\nContent-Disposition: form-data; name="columns"\r\n\r\n[']) {
      const res = await withKey(app, rootKey).post('/api/todos:importXlsx').set('Content-Type', 'multipart/form-data; boundary=b').send(body);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.errors[0].code).toBe(ErrorCode.BAD_INPUT);
    }
    expect(left()).toEqual(before);
  });
});
