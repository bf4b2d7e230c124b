import { Auth } from '@nocobase/auth';
import { ErrorCode } from '../../constants';
import { KeywardError, refusals, throwKeywardError } from '../errors';
import type { KeyRecord, KeyStore } from '../persistence/key-store';
import type { LastUsedTracker } from '../persistence/last-used';
import { clientAddress } from '../restrictions/client-address';
import type { RateDecision, RateLimiter } from '../restrictions/rate-limit';
import type { FailureFlood } from './failure-flood';
import { routedKey } from './route-key-requests';
import { checkRecord, findKey } from './verify-key';

export interface KeyAuthOptions {
  store: KeyStore;
  tracker: LastUsedTracker;
  limiter: RateLimiter;
  flood: FailureFlood;
  /** Reverse proxies of the app's own in front of it (`KEYWARD_TRUSTED_PROXIES`). */
  trustedProxies: number;
}

/** `X-Role` as `ctx.get` reads it, without Koa's delegating calls; a key refuses any other role. */
const requestedRole = (ctx: { req: { headers: Record<string, string | string[] | undefined> } }) =>
  (ctx.req.headers['x-role'] as string | undefined) || undefined;

/** The `keyward` auth type: authenticates a request by the API key it presents. */
export class KeyAuth extends Auth {
  get user() {
    return this.ctx.state.currentUser;
  }

  set user(user) {
    this.ctx.state.currentUser = user;
  }

  /** A presented key is always checked, even on public actions: a bad key never passes silently. */
  async skipCheck() {
    return this.ctx.skipAuthCheck === true;
  }

  /** The verification of {@link KeyAuth.check}, answered as the host's token checks answer. */
  async checkToken() {
    const user = await this.check();
    return { tokenStatus: 'valid' as const, user, temp: false as const };
  }

  /**
   * The verification pipeline, then what needs the request: the flood guard before any lookup
   * and on every refusal (see findKey), the rate limit last (only a key that passed counts). It
   * answers at once, not in a promise, while the key is cached and its rate counted in memory,
   * and it stays in few functions: inside a request this code runs with cold CPU caches and
   * before V8 has optimized it, where each call and each turn of the microtask queue costs more
   * than the work itself.
   */
  async check() {
    const { store, flood, trustedProxies } = this.options as KeyAuthOptions;
    const ctx = this.ctx;
    const now = Date.now();
    const address = clientAddress(ctx, trustedProxies);
    let record: KeyRecord | undefined;
    let lookup: Promise<KeyRecord> | undefined;
    try {
      try {
        // Undefined when a request names this authenticator without presenting a key, and when
        // other code hands us a context of its own making.
        const key = routedKey(ctx);
        if (!key) {
          throw refusals.invalid();
        }
        const found = findKey(key, store, now, flood, address);
        if (found instanceof Promise) {
          lookup = found;
        } else {
          record = found;
          checkRecord(record, (ctx.req.headers['x-role'] as string | undefined) || undefined, address, now);
        }
      } catch (error) {
        // Being told to wait is no refused key; the host's own errors are none either.
        if (!(error instanceof KeywardError) || error.code === ErrorCode.TOO_MANY_FAILURES) {
          throw error;
        }
        // An address past its refusals is answered from the cache alone: a key in it is
        // answered as ever (behind a proxy or a NAT, one client's forgeries must not lock out
        // the rest), any other key gets 429 until the window ends. Asked only on a refusal: a
        // cached key that passes costs the guard nothing.
        const retryIn = record === undefined ? flood.blockedFor(address, now) : 0;
        flood.record(address, now);
        throw retryIn ? refusals.tooManyFailures(retryIn) : error;
      }
      if (record !== undefined) {
        return this.grant(record, address, now);
      }
    } catch (error) {
      if (record !== undefined) {
        this.attempted(record);
      }
      return this.refuse(error);
    }
    // Not cached: after its one query, the same checks (the promise is adopted).
    return this.lookUp(lookup!, address, now);
  }

  /**
   * A known key refused (by a check, or its rate limit): its usage counts the refusal. Set only
   * then: a request that passes carries `state.apiKey`, which the usage count reads first.
   */
  private attempted(record: KeyRecord) {
    this.ctx.state.apiKeyAttempt = record.id;
  }

  /** A key not in the cache: its one query, then the same checks. */
  private async lookUp(lookup: Promise<KeyRecord>, address: string, now: number) {
    const { flood } = this.options as KeyAuthOptions;
    let record: KeyRecord | undefined;
    try {
      try {
        record = await lookup;
        checkRecord(record, requestedRole(this.ctx), address, now);
      } catch (error) {
        // NocoBase's own errors (a database down) are no refusal of the client's.
        if (error instanceof KeywardError) {
          flood.record(address, now);
        }
        throw error;
      }
      return await this.grant(record, address, now);
    } catch (error) {
      if (record !== undefined) {
        this.attempted(record);
      }
      return this.refuse(error);
    }
  }

  /**
   * A key that passed its checks: counted against its rate limit (a promise only with a shared
   * counter), then the request is its. Answers the request's user.
   */
  private grant(record: KeyRecord, address: string, now: number, counted = false): any {
    const { limiter, tracker } = this.options as KeyAuthOptions;
    if (record.rateLimit && !counted) {
      const decision = limiter.take(record.id, record.rateLimit, now);
      if (decision instanceof Promise) {
        return decision
          .then((settled) => {
            this.answerRate(settled);
            return this.grant(record, address, now, true);
          })
          .catch((error) => {
            this.attempted(record);
            return this.refuse(error);
          });
      }
      this.answerRate(decision);
    }
    tracker.touch(record.id, now, address);
    const ctx = this.ctx;
    const { state } = ctx;
    state.apiKey = { id: record.id, roleName: record.roleName, readOnly: record.readOnly };
    // The host's role middleware reads these: the key's role, and only it.
    ctx.req.headers['x-role'] = record.roleName;
    state.attachRoles = [{ name: record.roleName }];
    // A copy: the host decorates currentUser per request, the cached owner must stay as it is.
    return { ...record.user };
  }

  /** A refusal of ours answers with its status and code; anything else goes on as it is. */
  private refuse(error: unknown): never {
    if (error instanceof KeywardError) {
      throwKeywardError(this.ctx, error);
    }
    throw error;
  }

  /** Every answer to a limited key says where it stands. */
  private answerRate({ allowed, limit, remaining, resetSeconds }: RateDecision) {
    // What ctx.set does before the response is sent, without Koa's delegation on each call.
    const res = this.ctx.res;
    res.setHeader('RateLimit-Limit', String(limit));
    res.setHeader('RateLimit-Remaining', String(remaining));
    res.setHeader('RateLimit-Reset', String(resetSeconds));
    if (!allowed) {
      throw refusals.rateLimited(resetSeconds);
    }
  }
}
