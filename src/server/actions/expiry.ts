import ms from 'ms';
import { MAX_EXPIRY_DAYS } from '../../constants';
import { refusals } from '../errors';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * `expiresIn` as the built-in plugin takes it (its token library's rules): a number of seconds,
 * or a duration string such as `'30d'`, `'12h'`, `'2w'`, `'1y'`. Undefined when it is neither.
 */
function durationMs(expiresIn: unknown): number | undefined {
  if (typeof expiresIn === 'number') {
    return Number.isFinite(expiresIn) ? expiresIn * 1000 : undefined;
  }
  if (typeof expiresIn !== 'string' || expiresIn.length > 32 || !/[a-z]/i.test(expiresIn)) {
    return undefined;
  }
  // Typed for literal durations only; at run time it parses any string and answers undefined for junk.
  const parsed = (ms as unknown as (value: string) => number | undefined)(expiresIn);
  return typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : undefined;
}
const EXPIRES_AT_MESSAGE = 'Expiry must be a date in the future, at most {{max}} days ahead.';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * An ISO 8601 date whose day is on the calendar: JavaScript's parser rolls `2027-02-30` over to
 * March 2nd and takes hour 24, so a mistyped expiry would become another one, unsaid.
 */
function isCalendarDate(text: string): boolean {
  const parts = ISO_DATE.exec(text);
  if (!parts) {
    return false;
  }
  const [year, month, day, hour] = parts.slice(1, 5).map((part) => Number(part ?? 0));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour < 24;
}

/**
 * The expiry a create or update asks for: `expiresAt` (a date) wins over `expiresIn` (a
 * duration, or `'never'`). `undefined` when neither is given, `null` for never. At least a
 * second, at most MAX_EXPIRY_DAYS.
 */
export function requestedExpiry(values: Record<string, unknown>, now = Date.now()): Date | null | undefined {
  const { expiresAt, expiresIn } = values;
  if (expiresAt !== undefined && expiresAt !== null && expiresAt !== '') {
    const date = (typeof expiresAt === 'string' && isCalendarDate(expiresAt)) || typeof expiresAt === 'number' ? new Date(expiresAt) : undefined;
    const time = date?.getTime();
    if (!date || time === undefined || Number.isNaN(time) || time <= now || time > now + MAX_EXPIRY_DAYS * DAY_MS) {
      throw refusals.badInput(EXPIRES_AT_MESSAGE, { max: MAX_EXPIRY_DAYS });
    }
    return date;
  }
  if (expiresAt === null && expiresIn === undefined) {
    return null;
  }
  if (expiresIn === undefined) {
    return undefined;
  }
  if (expiresIn === 'never') {
    return null;
  }
  const duration = durationMs(expiresIn);
  if (duration === undefined || duration < 1000 || duration > MAX_EXPIRY_DAYS * DAY_MS) {
    throw refusals.badExpiresIn();
  }
  return new Date(now + duration);
}
