import { describe, expect, it, vi } from 'vitest';
import { sharesCache } from '../cluster/change-stamp';
import { revocationPath } from '../cluster/revocation-path';
import { createApp } from './helpers';

describe('how revocation reaches other nodes, told at start', () => {
  it('names pub/sub when an adapter is connected', () => {
    expect(revocationPath({ pubSub: true, sharedCache: true })).toMatch(/at once \(pub\/sub\), or from the shared cache's change counter within 1 s/);
    expect(revocationPath({ pubSub: true, sharedCache: false })).toMatch(/at once \(pub\/sub\); the cache is this process's own/);
  });

  it('detects that no adapter is connected: the shared cache carries revocation within a second', () => {
    expect(revocationPath({ pubSub: false, sharedCache: true })).toMatch(
      /no pub\/sub adapter is connected; a key revoked on another node is refused here from the shared cache's change counter within 1 s/,
    );
  });

  it('says what to set when neither would reach another node', () => {
    const message = revocationPath({ pubSub: false, sharedCache: false });
    expect(message).toMatch(/no pub\/sub adapter is connected and the cache is this process's own/);
    expect(message).toMatch(/up to 10 minutes/);
    expect(message).toMatch(/CACHE_DEFAULT_STORE=redis or KEYWARD_PUBSUB_REDIS_URL/);
  });

  it('is logged once the app has started', async () => {
    const app = await createApp({ skipStart: true });
    const info = vi.spyOn(app.log, 'info');
    try {
      await app.runCommand('start');
      const pubSub = await app.pubSubManager.isConnected();
      expect(info).toHaveBeenCalledWith(revocationPath({ pubSub, sharedCache: false }));
    } finally {
      await app.destroy();
    }
  });

  it('counts only a Redis cache as shared', () => {
    expect(sharesCache({ cacheManager: { defaultStore: 'redis' } })).toBe(true);
    expect(sharesCache({ cacheManager: { defaultStore: 'memory' } })).toBe(false);
    expect(sharesCache({})).toBe(false);
  });
});
