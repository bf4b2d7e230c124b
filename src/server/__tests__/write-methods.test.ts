import type { MockServer } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../constants';
import { createApp, createKey, setUpTodos } from './helpers';

/** Hole 6: a link, an image tag or a prefetch must never create, change or delete a key. */
describe('write actions and HTTP methods', () => {
  let app: MockServer;
  let alice: { id: number };

  beforeAll(async () => {
    app = await createApp();
    ({ user: alice } = await setUpTodos(app));
  });

  afterAll(async () => {
    await app?.destroy();
  });

  it('refuses create, update and destroy over GET, and changes nothing', async () => {
    const { record, agent } = await createKey(app, alice);
    const requests = [
      `/api/apiKeys:destroy?filterByTk=${record.id}`,
      `/api/apiKeys:update?filterByTk=${record.id}&values[enabled]=false`,
      `/api/apiKeys:create?values[name]=viaGet&values[roleName]=todos-api&values[expiresIn]=1d`,
    ];
    for (const url of requests) {
      const res = await agent.get(url);
      expect(res.status, url).toBe(405);
      expect(res.body.errors).toEqual([{ message: 'API keys cannot be created, changed or deleted with GET.', code: ErrorCode.METHOD_NOT_ALLOWED }]);
      // The message names the method sent; a method that is not a change's is none, whatever it is.
      const options = await agent.options(url);
      expect(options.status, url).toBe(405);
      expect(options.body.errors[0].message).toBe('API keys cannot be created, changed or deleted with OPTIONS.');
      expect((await agent.propfind(url)).status, url).toBe(405);
    }
    const key = await app.db.getRepository('apiKeys').findOne({ filterByTk: record.id });
    expect(key.get('enabled')).toBe(true);
    expect(await app.db.getRepository('apiKeys').count({ filter: { name: 'viaGet' } })).toBe(0);
    expect((await agent.post(`/api/apiKeys:destroy?filterByTk=${record.id}`)).status).toBe(200);
  });
});
