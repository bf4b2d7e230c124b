import type Database from '@nocobase/database';
import { COLLECTION } from '../../constants';

/**
 * Remembers when each key was last used and writes it at most once a minute per key,
 * so a request costs no database write.
 */
export class LastUsedTracker {
  private readonly pending = new Map<number | string, Date>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly db: Database,
    private readonly intervalMs = 60_000,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  touch(id: number | string, now = Date.now()) {
    this.pending.set(id, new Date(now));
  }

  start() {
    this.timer ??= setInterval(() => void this.flush().catch((error) => this.onError(error)), this.intervalMs);
    this.timer.unref();
  }

  async stop() {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush().catch((error) => this.onError(error));
  }

  /** Writes every pending time; one failed write keeps its time for the next flush, not the rest. */
  async flush() {
    const batch = [...this.pending];
    this.pending.clear();
    const model = this.db.getModel(COLLECTION);
    const failures: unknown[] = [];
    for (const [id, lastUsedAt] of batch) {
      try {
        // hooks off: this bookkeeping must not invalidate the key cache; silent keeps updatedAt.
        await model.update({ lastUsedAt }, { where: { id }, hooks: false, silent: true });
      } catch (error) {
        failures.push(error);
        if (!this.pending.has(id)) {
          this.pending.set(id, lastUsedAt);
        }
      }
    }
    if (failures.length) {
      throw new AggregateError(failures, `${failures.length} of ${batch.length} lastUsedAt writes failed`);
    }
  }
}
