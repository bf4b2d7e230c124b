/**
 * A record id as the database reads it, written one way only: a positive integer within
 * JavaScript's safe range (a longer one overflows PostgreSQL's bigint). `03`, `+3` or `3.0`
 * are not ids here, though a database would read them as 3.
 */
export function isRecordId(value: unknown): boolean {
  return /^[1-9]\d{0,15}$/.test(String(value)) && Number.isSafeInteger(Number(value));
}

/** One value of a record's key as the host's repositories take it: text or a finite number. */
export const isRecordKey = (value: unknown): boolean =>
  (typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isFinite(value));
