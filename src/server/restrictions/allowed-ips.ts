import { BlockList, isIP } from 'net';
import { refusals } from '../errors';

export const MAX_ALLOWED_IPS = 100;

/** `::ffff:1.2.3.4` is how a dual-stack socket shows an IPv4 client: compare it as `1.2.3.4`. */
export function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1] : address.toLowerCase();
}

/** One entry, `address` or `address/prefix`, in its written form; undefined when not one. */
function parseEntry(entry: unknown): string | undefined {
  if (typeof entry !== 'string') {
    return undefined;
  }
  const [address, prefix, ...rest] = entry.trim().split('/');
  const family = isIP(address);
  // A zone (`fe80::1%eth0`) names an interface of the server, not a client.
  if (!family || rest.length || address.includes('%')) {
    return undefined;
  }
  const normal = normalizeAddress(address);
  if (prefix === undefined) {
    return normal;
  }
  if (!/^\d{1,3}$/.test(prefix)) {
    return undefined;
  }
  // An IPv4-mapped range is kept as the IPv4 range it covers: its first 96 bits are fixed.
  const bits = family === 4 ? 32 : 128;
  const length = family === 6 && isIP(normal) === 4 ? Number(prefix) - 96 : Number(prefix);
  return length >= 0 && length <= (isIP(normal) === 4 ? 32 : bits) ? `${normal}/${length}` : undefined;
}

/** `allowedIps` as create and update take it: a list of addresses and CIDR ranges; empty means any. */
export function parseAllowedIps(value: unknown): string[] {
  if (value === undefined || value === null) {
    return [];
  }
  if (!Array.isArray(value) || value.length > MAX_ALLOWED_IPS) {
    throw refusals.badInput('allowedIps must be a list of at most {{max}} IP addresses or CIDR ranges.', { max: MAX_ALLOWED_IPS });
  }
  return [
    ...new Set(
      value.map((entry) => {
        const parsed = parseEntry(entry);
        if (!parsed) {
          throw refusals.badInput('{{entry}} is not an IP address or a CIDR range.', { entry: String(entry).slice(0, 100) });
        }
        return parsed;
      }),
    ),
  ];
}

/** The addresses one key may be used from, built once when the key is loaded into the cache. */
export class AddressList {
  private readonly list = new BlockList();
  /** A key is used from few addresses: each answer is kept, so a request is a map lookup. */
  private readonly answers = new Map<string, boolean>();

  constructor(entries: string[]) {
    for (const entry of entries) {
      const [address, prefix] = entry.split('/');
      const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
      if (prefix !== undefined && !/^\d+$/.test(prefix)) {
        continue;
      }
      try {
        if (prefix === undefined) {
          this.list.addAddress(address, family);
        } else {
          this.list.addSubnet(address, Number(prefix), family);
        }
      } catch {
        // Stored before the entry was checked as it is now (::ffff:a.b.c.d/120 was kept as
        // a.b.c.d/120): it allows nothing, and the key works from its other entries.
      }
    }
  }

  allows(address: string): boolean {
    let answer = this.answers.get(address);
    if (answer === undefined) {
      const family = isIP(address);
      answer = family !== 0 && this.list.check(address, family === 4 ? 'ipv4' : 'ipv6');
      if (this.answers.size >= 256) {
        this.answers.clear();
      }
      this.answers.set(address, answer);
    }
    return answer;
  }
}

/** Null when the key may be used from any address. */
export function compileAllowedIps(entries: string[] | null | undefined): AddressList | null {
  return entries?.length ? new AddressList(entries) : null;
}

export function ipAllowed(list: AddressList | null, address: string): boolean {
  return list === null || list.allows(address);
}
