import type { MockServer } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTHENTICATOR, ErrorCode } from '../../constants';
import { createApp, createKey, setUpTodos, withKey } from './helpers';

/**
 * Hole 3: the IdP plugin (and the websocket sign-in) ask the auth manager for whatever
 * authenticator a request names and trust its answer. A key must never complete a login there.
 */
describe('a key never becomes a session or an OAuth token', () => {
  let app: MockServer;
  let user: { id: number };
  let key: string;

  beforeAll(async () => {
    app = await createApp({ extraPlugins: ['idp-oauth'] });
    ({ user } = await setUpTodos(app));
    ({ key } = await createKey(app, user));
  });

  afterAll(async () => {
    await app?.destroy();
  });

  /** A context as the IdP's login bridge and the websocket handler build one: not a routed request. */
  const builtContext = (token: string) => ({
    app,
    db: app.db,
    cache: app.cache,
    logger: app.logger,
    log: app.logger,
    headers: { authorization: `Bearer ${token}`, 'x-authenticator': AUTHENTICATOR },
    req: { headers: { authorization: `Bearer ${token}`, 'x-authenticator': AUTHENTICATOR } },
    get: (name: string) => ({ authorization: `Bearer ${token}`, 'x-authenticator': AUTHENTICATOR })[name.toLowerCase()] ?? '',
    getBearerToken: () => token,
    throw: (...args: any[]) => {
      throw Object.assign(new Error(args[1]?.message ?? 'refused'), { status: args[0] });
    },
    t: (text: string) => text,
    state: {},
  });

  it("the IdP's interaction bridge resolves no user from a key", async () => {
    const service = (app.pm.get('idp-oauth') as any).service;
    const bridged = await service.resolveInteractionBridgeUser({ ...builtContext(key), path: '/api/idpOAuth/interaction/x' });
    expect(bridged).toBeUndefined();
  });

  it('the keyward authenticator verifies nothing it was handed outside our routing', async () => {
    const auth = await app.authManager.get(AUTHENTICATOR, builtContext(key) as any);
    await expect(auth.checkToken()).rejects.toThrow();
  });

  it('a request carrying a key is refused at every identity-provider endpoint', async () => {
    for (const path of [
      '/api/idpOAuth/interaction/abc',
      '/api/idpOAuth/interaction/abc/login',
      '/api/idpOAuth/device/verification:approve',
      '/api/idpOAuth/token',
      '/api/idpOAuth/auth?client_id=x',
      '/api/.well-known/openid-configuration',
    ]) {
      for (const headers of [{}, { 'X-Authenticator': AUTHENTICATOR }] as Record<string, string>[]) {
        const res = await withKey(app, key, headers).post(path).send({ prompt: 'login' });
        expect(res.status, path).toBe(403);
        expect(res.body.errors[0].code).toBe(ErrorCode.ACCOUNT_ACTION_REFUSED);
      }
    }
  });

  it('a key still works on data', async () => {
    expect((await withKey(app, key).get('/api/todos:list')).status).toBe(200);
  });
});
