import type { MockServer } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, createKey, setUpTodos, withKey } from './helpers';

describe('the To-Dos walkthrough through a key', () => {
  let app: MockServer;
  let key: string;

  beforeAll(async () => {
    app = await createApp();
    const { user } = await setUpTodos(app);
    ({ key } = await createKey(app, user));
  });

  afterAll(async () => {
    await app?.destroy();
  });

  it('lists the to-dos with only an Authorization header', async () => {
    const res = await withKey(app, key).get('/api/todos:list');
    expect(res.status).toBe(200);
    expect(res.body.data.map((todo: { title: string }) => todo.title).sort()).toEqual(['eat food', 'play games', 'sleep']);
    expect(res.body.meta).toMatchObject({ count: 3, page: 1 });
  });
});
