import type Database from '@nocobase/database';
import { Op } from '@nocobase/database';
import { COLLECTION, IP_MAX_LENGTH } from '../../constants';
import { PeriodicFlush } from './periodic-flush';

interface LastUse {
  at: Date;
  /** The client address, as restrictions see it. */
  ip: string;
}

/**
 * Remembers when and from where each key was last used and writes it at most once a minute per
 * key, so a request costs no database write.
 */
export class LastUsedTracker extends PeriodicFlush {
  /** Epoch ms, not a Date: a request only overwrites two fields; the Date is made to be written. */
  private readonly pending = new Map<number | string, { at: number; ip: string }>();

  constructor(
    private readonly db: Database,
    intervalMs = 60_000,
    onError: (error: unknown) => void = () => undefined,
  ) {
    super(intervalMs, onError);
  }

  /** On every request with a key: the key's pending use is overwritten in place, nothing allocated. */
  touch(id: number | string, now = Date.now(), ip = '') {
    // Cut to the column: PostgreSQL refuses a longer value (SQLite keeps it), and the write with
    // it. A trusted proxy's X-Forwarded-For entry or an address with a zone can be longer.
    const address = ip.length > IP_MAX_LENGTH ? ip.slice(0, IP_MAX_LENGTH) : ip;
    const use = this.pending.get(id);
    if (use) {
      use.at = now;
      use.ip = address;
    } else {
      this.pending.set(id, { at: now, ip: address });
    }
  }

  /** A deleted key's use not written yet. */
  forget(id: number | string) {
    for (const key of this.pending.keys()) {
      if (String(key) === String(id)) {
        this.pending.delete(key);
      }
    }
  }

  /** What is not written yet, for answers that must include it. */
  pendingFor(id: number | string): LastUse | undefined {
    const use = this.pending.get(id) ?? [...this.pending].find(([key]) => String(key) === String(id))?.[1];
    return use && { at: new Date(use.at), ip: use.ip };
  }

  /** Writes every pending use; one failed write keeps its use for the next flush, not the rest. */
  async flush() {
    const batch = [...this.pending];
    this.pending.clear();
    const model = this.db.getModel(COLLECTION);
    const failures: unknown[] = [];
    for (const [id, pending] of batch) {
      const use = { at: new Date(pending.at), ip: pending.ip };
      try {
        // hooks off: this bookkeeping must not invalidate the key cache; silent keeps updatedAt.
        // Only forward: in a cluster another node may have written a later use already.
        await model.update(
          { lastUsedAt: use.at, lastUsedIp: use.ip || null },
          { where: { id, [Op.or]: [{ lastUsedAt: null }, { lastUsedAt: { [Op.lt]: use.at } }] }, hooks: false, silent: true },
        );
      } catch (error) {
        failures.push(error);
        if (!this.pending.has(id)) {
          this.pending.set(id, pending);
        }
      }
    }
    if (failures.length) {
      throw new AggregateError(failures, `${failures.length} of ${batch.length} lastUsedAt writes failed`);
    }
  }
}
