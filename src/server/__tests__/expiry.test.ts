import { describe, expect, it } from 'vitest';
import { KeywardError } from '../errors';
import { requestedExpiry } from '../actions/expiry';

const now = Date.parse('2026-01-01T00:00:00Z');
const DAY = 24 * 60 * 60 * 1000;

describe('requestedExpiry', () => {
  it('takes the built-in plugin choices and any number of days', () => {
    for (const days of [1, 7, 30, 90, 45]) {
      expect(requestedExpiry({ expiresIn: `${days}d` }, now)?.getTime()).toBe(now + days * DAY);
    }
    expect(requestedExpiry({ expiresIn: 'never' }, now)).toBeNull();
    expect(requestedExpiry({}, now)).toBeUndefined();
  });

  it("takes the built-in plugin's seconds and duration strings", () => {
    expect(requestedExpiry({ expiresIn: 86400 }, now)?.getTime()).toBe(now + DAY);
    expect(requestedExpiry({ expiresIn: '12h' }, now)?.getTime()).toBe(now + DAY / 2);
    expect(requestedExpiry({ expiresIn: '2w' }, now)?.getTime()).toBe(now + 14 * DAY);
    expect(requestedExpiry({ expiresIn: '1y' }, now)?.getTime()).toBe(now + 365.25 * DAY);
    expect(requestedExpiry({ expiresIn: '90 days' }, now)?.getTime()).toBe(now + 90 * DAY);
  });

  it('takes an explicit future date', () => {
    expect(requestedExpiry({ expiresAt: '2026-02-01T00:00:00Z' }, now)?.toISOString()).toBe('2026-02-01T00:00:00.000Z');
    expect(requestedExpiry({ expiresAt: '2026-02-28' }, now)?.toISOString()).toBe('2026-02-28T00:00:00.000Z');
    expect(requestedExpiry({ expiresAt: '2028-02-29T23:30:00.5+08:00' }, now)?.toISOString()).toBe('2028-02-29T15:30:00.500Z');
    expect(requestedExpiry({ expiresAt: null }, now)).toBeNull();
  });

  it.each([
    { expiresIn: '0d' },
    { expiresIn: '-1d' },
    { expiresIn: 'forever' },
    { expiresIn: 0 },
    { expiresIn: -60 },
    { expiresIn: 0.5 },
    { expiresIn: '86400' },
    { expiresIn: Number.POSITIVE_INFINITY },
    { expiresIn: '99999d' },
    { expiresIn: '11y' },
    { expiresIn: { $gt: 1 } },
    { expiresAt: 'yesterday' },
    // No such day or hour: JavaScript would read each as another date.
    { expiresAt: '2026-02-30' },
    { expiresAt: '2026-02-29T00:00:00Z' },
    { expiresAt: '2026-04-31T12:00:00Z' },
    { expiresAt: '2026-02-28T24:00:00Z' },
    { expiresAt: '02/30/2026' },
    { expiresAt: '2026-2-3' },
    { expiresAt: '2025-12-31T00:00:00Z' },
    { expiresAt: '2099-01-01T00:00:00Z' },
    { expiresAt: { $gt: 1 } },
  ])('refuses %j with a 400', (values) => {
    expect(() => requestedExpiry(values, now)).toThrow(KeywardError);
    try {
      requestedExpiry(values, now);
    } catch (error) {
      expect((error as KeywardError).status).toBe(400);
    }
  });
});
