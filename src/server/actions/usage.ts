import { Op } from '@nocobase/database';
import { USAGE_COLLECTION, USAGE_DAYS } from '../../constants';
import { refusals } from '../errors';
import type { LastUsedTracker } from '../persistence/last-used';
import { dayOf, OK, type UsageTracker } from '../persistence/usage';
import { USAGE_READ } from '../persistence/usage-row-guard';
import { findOwnKey, handle, parseIds } from './api-keys';

interface Day {
  date: string;
  ok: number;
  refused: number;
  refusedBy: Record<string, number>;
}

function parseDays(value: unknown): number {
  if (value === undefined) {
    return 30;
  }
  // Digits as written: Number() would also take a list of one, an exponent, hex and spaces.
  const days = typeof value === 'string' && /^\d{1,3}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(days) || days < 1 || days > USAGE_DAYS) {
    throw refusals.badInput('{{what}} must be a whole number from 1 to {{max}}.', { what: 'days', max: USAGE_DAYS });
  }
  return days;
}

/**
 * `apiKeys:usage?filterByTk=<id>&days=30`: one of the caller's own keys, per UTC day, oldest
 * first: requests answered and refused (by code), counts not yet written included; and where
 * and when it was last used.
 */
export function usageAction(usage: UsageTracker, lastUsed: LastUsedTracker) {
  return handle(async (ctx) => {
    const [id] = parseIds(ctx.action.params.filterByTk);
    const days = parseDays(ctx.action.params.days);
    const key = await findOwnKey(ctx, id);
    const now = Date.now();
    const byDay = new Map<string, Day>();
    for (let i = days - 1; i >= 0; i--) {
      const date = dayOf(now - i * 86_400_000);
      byDay.set(date, { date, ok: 0, refused: 0, refusedBy: Object.create(null) });
    }
    const stored = await ctx.db.getModel(USAGE_COLLECTION).findAll({
      ...{ [USAGE_READ]: true },
      where: { keyId: key.get('id'), day: { [Op.gte]: dayOf(now - (days - 1) * 86_400_000) } },
      raw: true,
    });
    for (const { day, outcome, count } of [...(stored as any[]), ...usage.pendingFor(key.get('id'))]) {
      const entry = byDay.get(day);
      if (!entry) {
        continue;
      }
      if (outcome === OK) {
        entry.ok += Number(count);
      } else {
        entry.refused += Number(count);
        entry.refusedBy[outcome] = (entry.refusedBy[outcome] ?? 0) + Number(count);
      }
    }
    // In a cluster another node may have written a later use than this node's pending one.
    const pending = lastUsed.pendingFor(key.get('id'));
    const written = key.get('lastUsedAt') as Date | null;
    const fresher = pending && (!written || pending.at > written);
    ctx.body = {
      rows: [...byDay.values()],
      lastUsedAt: (fresher ? pending.at : written) ?? null,
      lastUsedIp: (fresher ? pending.ip : key.get('lastUsedIp')) || null,
    };
  });
}
