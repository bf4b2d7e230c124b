import { describe, expect, it, vi } from 'vitest';
import { createKeysApi, errorMessage } from '../api';

describe('createKeysApi', () => {
  it("lists the user's roles without the host's pseudo-roles", async () => {
    const request = vi.fn(async () => ({
      data: { data: { id: 1, roles: [{ name: '__union__', title: 'Full permissions' }, { name: 'todos-api', title: 'To Dos API Role' }, { name: 'member' }] } },
    }));
    expect(await createKeysApi(request).roles()).toEqual([
      { name: 'todos-api', title: 'To Dos API Role' },
      { name: 'member', title: 'member' },
    ]);
    expect(request).toHaveBeenCalledWith(expect.objectContaining({ url: 'auth:check', skipNotify: true }));
  });

  it('calls the apiKeys actions', async () => {
    const request = vi.fn(async () => ({ data: { data: { token: 'k' }, meta: { count: 0 } } }));
    const api = createKeysApi(request);
    await api.create({ name: 'n', role: { name: 'r' }, expiresIn: '1d' });
    await api.update(3, { enabled: false });
    await api.destroy(3);
    await api.list(2, 10);
    await api.usage(3, 30);
    expect(request.mock.calls.map(([config]: any) => [config.url, config.params?.filterByTk ?? config.params?.page])).toEqual([
      ['apiKeys:create', undefined],
      ['apiKeys:update', 3],
      ['apiKeys:destroy', 3],
      ['apiKeys:list', 2],
      ['apiKeys:usage', 3],
    ]);
    expect(request).toHaveBeenLastCalledWith(expect.objectContaining({ params: { filterByTk: 3, days: 30 }, skipNotify: true }));
  });

  it("answers a key's usage as the server sends it", async () => {
    const data = [{ date: '2026-11-25', ok: 120, refused: 3, refusedBy: { API_KEY_RATE_LIMITED: 3 } }];
    const meta = { lastUsedAt: '2026-11-25T04:58:12.311Z', lastUsedIp: '203.0.113.7' };
    const request = vi.fn(async () => ({ data: { data, meta } }));
    expect(await createKeysApi(request).usage(3, 30)).toEqual({ data, meta });
  });

  it("reads the server's error message", () => {
    expect(errorMessage({ response: { data: { errors: [{ message: 'Role not found' }] } } })).toBe('Role not found');
    expect(errorMessage(new Error('Network Error'))).toBe('Network Error');
  });
});
