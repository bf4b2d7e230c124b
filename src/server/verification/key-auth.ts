import { Auth } from '@nocobase/auth';
import { KeywardError, refusals, throwKeywardError } from '../errors';
import type { KeyStore } from '../persistence/key-store';
import { routedKey } from './route-key-requests';
import type { LastUsedTracker } from '../persistence/last-used';
import { verifyKey } from './verify-key';

export interface KeyAuthOptions {
  store: KeyStore;
  tracker: LastUsedTracker;
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

  async checkToken() {
    const { store, tracker } = this.options as KeyAuthOptions;
    // Undefined when a request names this authenticator without presenting a key, and when
    // other code hands us a context of its own making.
    const key = routedKey(this.ctx);
    let record;
    try {
      if (!key) {
        throw refusals.invalid();
      }
      record = await verifyKey(key, store, { requestedRole: this.ctx.get('X-Role') || undefined });
    } catch (error) {
      if (error instanceof KeywardError) {
        throwKeywardError(this.ctx, error);
      }
      throw error;
    }
    tracker.touch(record.id);
    this.ctx.state.apiKey = { id: record.id, roleName: record.roleName };
    // The host's role middleware reads these: the key's role, and only it.
    this.ctx.headers['x-role'] = record.roleName;
    this.ctx.state.attachRoles = [{ name: record.roleName }];
    // A copy: the host decorates currentUser per request, the cached owner must stay as it is.
    const user = { ...record.user } as any;
    return { tokenStatus: 'valid' as const, user, temp: false };
  }

  async check() {
    const { user } = await this.checkToken();
    return user;
  }
}
