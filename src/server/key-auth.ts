import { Auth, type AuthConfig } from '@nocobase/auth';
import { refusals, throwKeywardError, KeywardError } from './errors';
import type { KeyStore } from './key-store';
import { presentedKey } from './key-transport';
import type { LastUsedTracker } from './last-used';
import { verifyKey } from './verify-key';

export interface KeyAuthOptions {
  store: KeyStore;
  tracker: LastUsedTracker;
}

/** The `keyward` auth type: authenticates a request by the API key it presents. */
export class KeyAuth extends Auth {
  constructor(config: AuthConfig) {
    super(config);
  }

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
    const key = typeof this.ctx.get === 'function' ? presentedKey(this.ctx) : undefined;
    let record;
    try {
      if (!key || !store) {
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
