import { CHANGE_POLL_MS } from './change-stamp';

/**
 * How a key revoked on one node reaches the others, logged once at start, so that an admin who
 * runs several nodes sees whether the host has a pub/sub adapter and a shared cache, and what
 * that means. The host cannot tell one node from a cluster: one node alone needs neither, so
 * none of this is a warning.
 */
export function revocationPath({ pubSub, sharedCache }: { pubSub: boolean; sharedCache: boolean }): string {
  const counter = `the shared cache's change counter within ${CHANGE_POLL_MS / 1000} s`;
  if (pubSub) {
    return sharedCache
      ? `API keys: a key revoked on another node is refused here at once (pub/sub), or from ${counter}`
      : "API keys: a key revoked on another node is refused here at once (pub/sub); the cache is this process's own";
  }
  if (sharedCache) {
    return `API keys: no pub/sub adapter is connected; a key revoked on another node is refused here from ${counter}`;
  }
  return (
    "API keys: no pub/sub adapter is connected and the cache is this process's own. One node alone needs neither; " +
    'with several, a key revoked on one stays valid on the others until their cached copy expires (up to 10 minutes): ' +
    'set CACHE_DEFAULT_STORE=redis or KEYWARD_PUBSUB_REDIS_URL (README, "Running a cluster")'
  );
}
