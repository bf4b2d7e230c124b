import type { Context } from '@nocobase/actions';
import { isIP } from 'net';
import { normalizeAddress } from './allowed-ips';

/**
 * The address a key request comes from. By default the peer of the TCP connection, which a
 * client cannot choose. NocoBase 2.2.15 leaves Koa's `proxy` setting off (so `ctx.request.ip`
 * is that peer too), while its own `ctx.state.clientIp` takes the first `X-Forwarded-For` entry
 * from anyone: Keyward uses neither header unless told how many proxies of yours stand in
 * front of the app. Each of them appends the address it was reached from, so with N trusted
 * proxies the client is the N-th entry from the right; entries further left are the client's own
 * words.
 */
export function clientAddress(ctx: Pick<Context, 'get' | 'req'>, trustedProxies: number): string {
  const peer = ctx.req?.socket?.remoteAddress ?? '';
  if (trustedProxies > 0) {
    const forwarded = ctx
      .get('X-Forwarded-For')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    const client = forwarded[forwarded.length - trustedProxies];
    // Some proxies write a port (`203.0.113.7:5678`, `[2001:db8::1]:443`); anything that is not
    // an address then is no client: the peer stands in for it.
    const address = client && (/^\[(.*)\](?::\d+)?$/.exec(client)?.[1] ?? client.replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, '$1'));
    if (address && isIP(address)) {
      return normalizeAddress(address);
    }
  }
  // An IPv4 peer (digits and dots) is already in normal form: no regular expression for it.
  return peer.includes(':') ? normalizeAddress(peer) : peer;
}

/** `KEYWARD_TRUSTED_PROXIES`: how many reverse proxies of yours stand in front of the app (default 0). */
export function trustedProxiesFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.KEYWARD_TRUSTED_PROXIES ?? 0);
  return Number.isInteger(value) && value >= 0 && value <= 10 ? value : 0;
}
