import type { Context, Next } from '@nocobase/actions';
import type Database from '@nocobase/database';
import { Op, UniqueConstraintError, type Transaction } from '@nocobase/database';
import { COLLECTION, USAGE_COLLECTION, USAGE_DAYS } from '../../constants';
import { PeriodicFlush } from './periodic-flush';

export const OK = 'ok';

const DAY_MS = 86_400_000;

/** The UTC day of a time, `YYYY-MM-DD`. */
export const dayOf = (time: number) => new Date(time).toISOString().slice(0, 10);

interface Tally {
  keyId: number | string;
  day: string;
  outcome: string;
  count: number;
}

/**
 * Counts each key's requests per day and outcome in memory and adds them to the database once a
 * minute, so a request costs no write. Each row grows by an atomic increment, so nodes that
 * flush the same row at once both count. Rows older than the kept days are pruned once a day.
 */
export class UsageTracker extends PeriodicFlush {
  private readonly pending = new Map<string, Tally>();
  private prunedOn?: string;
  /** The UTC day last counted in, and the epoch ms it spans: most requests need no Date. */
  private current = { day: '', from: 0, until: 0 };

  constructor(
    private readonly db: Database,
    intervalMs = 60_000,
    onError: (error: unknown) => void = () => undefined,
  ) {
    super(intervalMs, onError);
  }

  record(keyId: number | string, outcome: string, now = Date.now()) {
    let { day, from, until } = this.current;
    if (now < from || now >= until) {
      from = now - (((now % DAY_MS) + DAY_MS) % DAY_MS);
      until = from + DAY_MS;
      day = dayOf(now);
      this.current = { day, from, until };
    }
    const slot = `${keyId}|${day}|${outcome}`;
    const tally = this.pending.get(slot);
    if (tally) {
      tally.count++;
    } else {
      this.pending.set(slot, { keyId, day, outcome, count: 1 });
    }
  }

  /** A deleted key's counts not written yet: dropped with its rows. */
  forget(keyId: number | string) {
    for (const [slot, tally] of this.pending) {
      if (String(tally.keyId) === String(keyId)) {
        this.pending.delete(slot);
      }
    }
  }

  /** Counts not written yet, for answers that must include them. */
  pendingFor(keyId: number | string): Tally[] {
    return [...this.pending.values()].filter((tally) => String(tally.keyId) === String(keyId));
  }

  async flush(now = Date.now()) {
    const batch = [...this.pending.values()];
    this.pending.clear();
    const failures: unknown[] = [];
    for (const tally of batch) {
      try {
        await this.add(tally);
      } catch (error) {
        failures.push(error);
        // Back for the next flush, added to whatever came in since.
        for (let i = 0; i < tally.count; i++) {
          this.record(tally.keyId, tally.outcome, Date.parse(`${tally.day}T12:00:00Z`));
        }
      }
    }
    await this.prune(now).catch((error) => failures.push(error));
    if (failures.length) {
      throw new AggregateError(failures, `${failures.length} usage writes failed`);
    }
  }

  private async add({ keyId, day, outcome, count }: Tally) {
    const model = this.db.getModel(USAGE_COLLECTION);
    const where = { keyId, day, outcome };
    const column = this.db.sequelize.getQueryInterface().quoteIdentifier(model.rawAttributes.count.field ?? 'count');
    const increment = { count: this.db.sequelize.literal(`${column} + ${Number(count)}`) };
    const [updated] = await model.update(increment, { where, hooks: false });
    if (updated) {
      return;
    }
    try {
      await model.create({ ...where, count }, { hooks: false });
    } catch (error) {
      // Another node created the row first: add to it.
      if (!(error instanceof UniqueConstraintError)) {
        throw error;
      }
      await model.update(increment, { where, hooks: false });
    }
  }

  private async prune(now: number) {
    const today = dayOf(now);
    if (this.prunedOn === today) {
      return;
    }
    const oldest = dayOf(now - (USAGE_DAYS - 1) * 86_400_000);
    await this.db.getModel(USAGE_COLLECTION).destroy({ where: { day: { [Op.lt]: oldest } }, hooks: false });
    this.prunedOn = today;
  }
}

/** `ok` for an answer, else the refusal's code (or its status, for the host's own refusals). */
function outcomeOf(ctx: Context): string {
  if (ctx.status < 400) {
    return OK;
  }
  const code = (ctx.body as { errors?: { code?: unknown }[] } | undefined)?.errors?.[0]?.code;
  return typeof code === 'string' && code ? code.slice(0, 64) : String(ctx.status);
}

/**
 * Outside the host's error handler, so it sees every answer as sent: counts each request made
 * with a key, or with a key that was found and then refused (disabled, wrong address, over its
 * limit, …), under that key.
 */
export function recordKeyUsage(usage: UsageTracker) {
  return async function recordKeyUsage(ctx: Context, next: Next) {
    try {
      await next();
    } finally {
      const keyId = ctx.state?.apiKey?.id ?? ctx.state?.apiKeyAttempt;
      if (keyId !== undefined) {
        usage.record(keyId, outcomeOf(ctx));
      }
    }
  };
}

/**
 * A key's usage goes with the key, in the same transaction; and a new key starts with none:
 * SQLite gives the highest id again after a delete, and requests still under way with the old
 * key (or another node's next flush) may have counted under it after the delete.
 */
export function tieUsageToKey(db: Database, forget: (keyId: number | string) => void) {
  const drop = async (key: { get(name: string): unknown }, options: { transaction?: Transaction }) => {
    const keyId = key.get('id') as number | string;
    await db.getModel(USAGE_COLLECTION).destroy({ where: { keyId }, transaction: options.transaction, hooks: false });
    forget(keyId);
  };
  db.on(`${COLLECTION}.afterDestroy`, drop);
  db.on(`${COLLECTION}.afterCreate`, drop);
}
