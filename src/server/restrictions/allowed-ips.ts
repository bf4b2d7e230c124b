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
  if (prefix === undefined) {
    return normalizeAddress(address);
  }
  const bits = family === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= bits ? `${normalizeAddress(address)}/${Number(prefix)}` : undefined;
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

/** Built once per key when it is loaded into the cache: a request only asks `check`. */
export function compileAllowedIps(entries: string[] | null | undefined): BlockList | null {
  if (!entries?.length) {
    return null;
  }
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) {
      list.addAddress(address, family);
    } else {
      list.addSubnet(address, Number(prefix), family);
    }
  }
  return list;
}

export function ipAllowed(list: BlockList | null, address: string): boolean {
  if (!list) {
    return true;
  }
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}
