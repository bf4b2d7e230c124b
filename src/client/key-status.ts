import type { ApiKeyRecord } from './api';

export type KeyStatus = 'active' | 'disabled' | 'expired';

export function keyStatus(key: Pick<ApiKeyRecord, 'enabled' | 'expiresAt'>, now = Date.now()): KeyStatus {
  if (!key.enabled) {
    return 'disabled';
  }
  if (key.expiresAt && Date.parse(key.expiresAt) <= now) {
    return 'expired';
  }
  return 'active';
}

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 24 * 3600 * 1000],
  ['month', 30 * 24 * 3600 * 1000],
  ['day', 24 * 3600 * 1000],
  ['hour', 3600 * 1000],
  ['minute', 60 * 1000],
];

/** "in 3 days", "2 hours ago", in the UI's language, with the browser's own formatter. */
export function fromNow(date: string, locale?: string, now = Date.now()): string {
  const diff = Date.parse(date) - now;
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms) {
      return format.format(Math.round(diff / ms), unit);
    }
  }
  return format.format(0, 'minute');
}
