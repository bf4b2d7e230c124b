import { Auth } from '@nocobase/auth';
import { KeywardError, refusals, throwKeywardError } from '../errors';
import type { KeyRecord, KeyStore } from '../persistence/key-store';
import type { LastUsedTracker } from '../persistence/last-used';
import { clientAddress } from '../restrictions/client-address';
import type { RateDecision, RateLimiter } from '../restrictions/rate-limit';
import type { FailureFlood } from './failure-flood';
import { routedKey } from './route-key-requests';
import { verifyKey } from './verify-key';

export interface KeyAuthOptions {
  store: KeyStore;
  tracker: LastUsedTracker;
  limiter: RateLimiter;
  flood: FailureFlood;
  /** Reverse proxies of the app's own in front of it (`KEYWARD_TRUSTED_PROXIES`). */
  trustedProxies: number;
}

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

  /**
   * The verification pipeline, then what needs the request: the address flood first (no lookup
   * for an address past its refusals), the rate limit last (only a key that passed counts).
   */
  async checkToken() {
    const { store, tracker, flood, trustedProxies } = this.options as KeyAuthOptions;
    const address = clientAddress(this.ctx, trustedProxies);
    let record: KeyRecord;
    try {
      const retryIn = flood.blockedFor(address);
      if (retryIn) {
        throw refusals.tooManyFailures(retryIn);
      }
      // Undefined when a request names this authenticator without presenting a key, and when
      // other code hands us a context of its own making.
      const key = routedKey(this.ctx);
      try {
        if (!key) {
          throw refusals.invalid();
        }
        record = await verifyKey(key, store, {
          requestedRole: this.ctx.get('X-Role') || undefined,
          address,
          onFound: (found) => {
            this.ctx.state.apiKeyAttempt = found.id;
          },
        });
      } catch (error) {
        flood.record(address);
        throw error;
      }
      const limited = this.limitRate(record);
      if (limited) {
        await limited;
      }
    } catch (error) {
      if (error instanceof KeywardError) {
        throwKeywardError(this.ctx, error);
      }
      throw error;
    }
    tracker.touch(record.id, Date.now(), address);
    this.ctx.state.apiKey = { id: record.id, roleName: record.roleName, readOnly: record.readOnly };
    // The host's role middleware reads these: the key's role, and only it.
    this.ctx.headers['x-role'] = record.roleName;
    this.ctx.state.attachRoles = [{ name: record.roleName }];
    // A copy: the host decorates currentUser per request, the cached owner must stay as it is.
    const user = { ...record.user } as any;
    return { tokenStatus: 'valid' as const, user, temp: false };
  }

  /** Counts the request; every answer to a limited key says where it stands. */
  private limitRate(record: KeyRecord): void | Promise<void> {
    if (!record.rateLimit) {
      return;
    }
    const decision = (this.options as KeyAuthOptions).limiter.take(record.id, record.rateLimit);
    return decision instanceof Promise ? decision.then((settled) => this.answerRate(settled)) : this.answerRate(decision);
  }

  private answerRate({ allowed, limit, remaining, resetSeconds }: RateDecision) {
    this.ctx.set({
      'RateLimit-Limit': String(limit),
      'RateLimit-Remaining': String(remaining),
      'RateLimit-Reset': String(resetSeconds),
    });
    if (!allowed) {
      throw refusals.rateLimited(resetSeconds);
    }
  }

  async check() {
    const { user } = await this.checkToken();
    return user;
  }
}
