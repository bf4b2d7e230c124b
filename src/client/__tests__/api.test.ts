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
    expect(request.mock.calls.map(([config]: any) => [config.url, config.params?.filterByTk ?? config.params?.page])).toEqual([
      ['apiKeys:create', undefined],
      ['apiKeys:update', 3],
      ['apiKeys:destroy', 3],
      ['apiKeys:list', 2],
    ]);
  });

  it("reads the server's error message", () => {
    expect(errorMessage({ response: { data: { errors: [{ message: 'Role not found' }] } } })).toBe('Role not found');
    expect(errorMessage(new Error('Network Error'))).toBe('Network Error');
  });
});
