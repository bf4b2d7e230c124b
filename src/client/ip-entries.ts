/**
 * What the form checks as each allowed-IP entry is typed: an IPv4 or IPv6 address, optionally
 * with a CIDR prefix. The server checks again, with Node's own parser, and has the last word.
 */
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isIpv6(address: string): boolean {
  if (!address.includes(':') || /[^0-9a-f:.]/i.test(address)) {
    return false;
  }
  try {
    // The URL parser knows IPv6, and throws on anything that is not one.
    return new URL(`http://[${address}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

export function isIpEntry(entry: string): boolean {
  const [address, prefix, ...rest] = entry.trim().split('/');
  const bits = IPV4.test(address) ? 32 : isIpv6(address) ? 128 : 0;
  if (!bits || rest.length) {
    return false;
  }
  // An IPv4-mapped range (`::ffff:10.0.0.0/104`) fixes its first 96 bits.
  const least = /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? 96 : 0;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) >= least && Number(prefix) <= bits);
}
