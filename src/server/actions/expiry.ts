import { MAX_EXPIRY_DAYS } from '../../constants';
import { refusals } from '../errors';

const DAY_MS = 24 * 60 * 60 * 1000;
const DAYS_PATTERN = /^([1-9]\d{0,4})d$/;
const EXPIRES_AT_MESSAGE = 'Expiry must be a date in the future, at most {{max}} days ahead.';

/**
 * The expiry a create or update asks for: `expiresAt` (a date) wins over `expiresIn`
 * (`'<N>d'` or `'never'`, as the built-in plugin takes). `undefined` when neither is given,
 * `null` for never.
 */
export function requestedExpiry(values: Record<string, unknown>, now = Date.now()): Date | null | undefined {
  const { expiresAt, expiresIn } = values;
  if (expiresAt !== undefined && expiresAt !== null && expiresAt !== '') {
    const date = typeof expiresAt === 'string' || typeof expiresAt === 'number' ? new Date(expiresAt) : undefined;
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
  const days = typeof expiresIn === 'string' ? DAYS_PATTERN.exec(expiresIn) : null;
  if (!days || Number(days[1]) > MAX_EXPIRY_DAYS) {
    throw refusals.badExpiresIn();
  }
  return new Date(now + Number(days[1]) * DAY_MS);
}
