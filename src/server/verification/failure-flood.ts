import { ExpiringMap } from './expiring-map';

/**
 * What one client is, for counting its refusals: an IPv4 address, or an IPv6 address's /64,
 * the smallest block a provider hands one customer, who could otherwise draw a fresh address
 * from it for every try (but an address that carries an IPv4 one, counted on its own).
 */
export function floodKey(address: string): string {
  if (!address.includes(':') || !/^[0-9a-f:.]+$/i.test(address)) {
    return address;
  }
  const [head, tail] = address.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const width = (parts: string[]) => parts.reduce((sum, part) => sum + (part.includes('.') ? 2 : 1), 0);
  const before = groups(head);
  const after = groups(tail);
  const all = tail === undefined ? before : [...before, ...Array(Math.max(0, 8 - width(before) - width(after))).fill('0'), ...after];
  const prefix = all.slice(0, 4).map((group) => parseInt(group, 16).toString(16)).join(':');
  // ::/64 (loopback, IPv4-mapped and -compatible) and NAT64's 64:ff9b::/96 carry a whole IPv4
  // client each in their last bits: those are counted one address each.
  return prefix === '0:0:0:0' || prefix === '64:ff9b:0:0' ? address.toLowerCase() : `${prefix}::/64`;
}

/**
 * Refused keys per client address, on this node. The checksum algorithm is public, so forged
 * keys with a valid checksum each cost a lookup; past the threshold an address gets no lookup
 * until its window ends. Lookups still running count toward the threshold too, so keys sent all
 * at once cost no more lookups than keys sent one after the other; such an address waits a
 * second, not the window.
 */
export class FailureFlood {
  /** Each address's refusals in its current window; a window is gone once it has ended. */
  private readonly windows = new ExpiringMap<string, { count: number; endsAt: number }>(100_000);
  /** Each address's lookups under way. */
  private readonly running = new Map<string, number>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs = 60_000,
  ) {}

  /** Seconds until the address may try again, or 0 when it may now. */
  blockedFor(address: string, now = Date.now()): number {
    const window = this.windows.get(floodKey(address), now);
    if (!window || window.count < this.maxFailures) {
      return 0;
    }
    return Math.ceil((window.endsAt - now) / 1000);
  }

  /**
   * Whether the address's refusals and its lookups under way together reach the threshold: a
   * new lookup then waits, as if each under way were to be refused.
   */
  lookupsFull(address: string, now = Date.now()): boolean {
    const key = floodKey(address);
    return (this.windows.get(key, now)?.count ?? 0) + (this.running.get(key) ?? 0) >= this.maxFailures;
  }

  /** A lookup starts; {@link ended} when it has settled, found or not. */
  started(address: string) {
    const key = floodKey(address);
    this.running.set(key, (this.running.get(key) ?? 0) + 1);
  }

  ended(address: string) {
    const key = floodKey(address);
    const count = (this.running.get(key) ?? 1) - 1;
    count > 0 ? this.running.set(key, count) : this.running.delete(key);
  }

  record(address: string, now = Date.now()) {
    const key = floodKey(address);
    const window = this.windows.get(key, now);
    if (window) {
      window.count++;
    } else {
      this.windows.set(key, { count: 1, endsAt: now + this.windowMs }, now + this.windowMs, now);
    }
  }
}

/** `KEYWARD_MAX_FAILURES_PER_MINUTE`: refused keys an address may send in a minute (default 30). */
export function maxFailuresFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.KEYWARD_MAX_FAILURES_PER_MINUTE ?? 30);
  return Number.isInteger(value) && value >= 1 ? value : 30;
}
