import type { MockServer } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../constants';
import { createApp, createKey, setUpTodos, withKey } from './helpers';

/** A chart's query with a key: what the host's chart action and query builder fail on with a 500 is a 400. */
describe('bad input in a chart’s query', () => {
  let app: MockServer;
  let key: string;
  let rootKey: string;

  const chart = (values: Record<string, unknown>, headers: Record<string, string> = {}) =>
    withKey(app, key, headers)
      .post('/api/charts:queryData')
      .send({ collection: 'todos', mode: 'builder', variableResolution: 'legacy-schema', dimensions: [{ field: 'title' }], ...values });

  const badInput = (res: { status: number; body: any }, message: string, what: string) => {
    expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(400);
    expect(res.body.errors, what).toEqual([{ code: ErrorCode.BAD_INPUT, message }]);
  };

  beforeAll(async () => {
    app = await createApp({ extraPlugins: ['flow-engine', 'data-visualization'] });
    const { user } = await setUpTodos(app);
    ({ key } = await createKey(app, user));
    const root = await app.db.getRepository('users').findOne({ filterByTk: 1 });
    ({ key: rootKey } = await createKey(app, root, { role: { name: 'root' } }, 'root'));
  });

  afterAll(async () => {
    await app?.destroy();
  });

  it('a date in its filter that the host cannot read', async () => {
    for (const filter of [
      { createdAt: { $dateOn: 'garbage' } },
      { createdAt: { $dateOn: { type: 'nope' } } },
      { createdAt: { $dateBetween: ['2024-01-01'] } },
      { createdAt: { $dateOn: '99999-01-01' } },
    ]) {
      badInput(await chart({ filter }), 'A date in the filter is not one the server reads.', JSON.stringify(filter));
    }
    const res = await chart({ filter: { createdAt: { $dateOn: { type: 'today' } } } }, { 'X-Timezone': '+08:00' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it('measures, dimensions and orders the query builder cannot use', async () => {
    const message =
      'measures, dimensions and orders take lists of fields; an aggregation is sum, count, avg, min or max; alias, format and order are text.';
    for (const values of [
      { measures: [{ field: 'title', aggregation: 'nope' }] },
      { measures: [{ field: 'title', aggregation: 'count', alias: {} }] },
      { dimensions: [{ field: 'title', alias: {} }] },
      { dimensions: [{ field: 'createdAt', format: {} }] },
      { orders: [{ field: 'title', order: 1 }] },
      { measures: [{ field: { a: 1 }, aggregation: 'count' }] },
      { measures: [{ aggregation: 'count' }] },
      { dimensions: [{ field: [] }] },
      { dimensions: [{ field: ['title', 3] }] },
      { orders: [{ field: '' }] },
    ]) {
      badInput(await chart(values), message, JSON.stringify(values));
    }
    for (const mode of ['sql', 'builder', undefined]) {
      badInput(await chart({ mode, dimensions: undefined, sql: 'select 1' }), 'A chart query needs at least one measure or dimension.', `mode ${mode}`);
    }
    // The generic aggregate action takes the same lists.
    badInput(await withKey(app, key).post('/api/todos:query').send({ measures: [{ field: ['title'], aggregation: 'median', alias: 'n' }] }), message, 'query');
    // A root key's role lists no fields: the builder looks up what it is given.
    for (const dimensions of [[{ field: 'nope.x' }], [{ field: ['title', 'x'] }]]) {
      badInput(
        await withKey(app, rootKey).post('/api/charts:queryData').send({ collection: 'todos', mode: 'builder', variableResolution: 'legacy-schema', dimensions }),
        message,
        JSON.stringify(dimensions),
      );
    }
    const through = await withKey(app, rootKey)
      .post('/api/charts:queryData')
      .send({ collection: 'todos', mode: 'builder', variableResolution: 'legacy-schema', dimensions: [{ field: ['createdBy', 'nickname'] }] });
    expect(through.status, JSON.stringify(through.body)).toBe(200);
    const res = await chart({ measures: [{ field: 'title', aggregation: 'count', alias: 'n' }], orders: [{ field: 'title', order: 'desc' }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });
});
