import { ExpiringMap } from './expiring-map';

/**
 * Refused keys per client address, on this node. The checksum algorithm is public, so forged
 * keys with a valid checksum each cost a lookup; past the threshold an address is answered at
 * once, with no lookup, until its window ends.
 */
export class FailureFlood {
  /** Each address's refusals in its current window; a window is gone once it has ended. */
  private readonly windows = new ExpiringMap<string, { count: number; endsAt: number }>(100_000);

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs = 60_000,
  ) {}

  /** Seconds until the address may try again, or 0 when it may now. */
  blockedFor(address: string, now = Date.now()): number {
    const window = this.windows.get(address, now);
    if (!window || window.count < this.maxFailures) {
      return 0;
    }
    return Math.ceil((window.endsAt - now) / 1000);
  }

  record(address: string, now = Date.now()) {
    const window = this.windows.get(address, now);
    if (window) {
      window.count++;
    } else {
      this.windows.set(address, { count: 1, endsAt: now + this.windowMs }, now + this.windowMs, now);
    }
  }
}

/** `KEYWARD_MAX_FAILURES_PER_MINUTE`: refused keys an address may send in a minute (default 30). */
export function maxFailuresFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.KEYWARD_MAX_FAILURES_PER_MINUTE ?? 30);
  return Number.isInteger(value) && value >= 1 ? value : 30;
}
