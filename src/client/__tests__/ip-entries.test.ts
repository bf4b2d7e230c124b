import { describe, expect, it } from 'vitest';
import { isIpEntry } from '../ip-entries';

describe('isIpEntry', () => {
  it.each(['203.0.113.7', '10.0.0.0/8', '0.0.0.0/0', '::1', '2001:db8::/32', '2001:DB8::1/128', '::ffff:192.0.2.1', '::ffff:10.0.0.0/104'])('takes %s', (entry) => {
    expect(isIpEntry(entry)).toBe(true);
  });

  it.each(['10.0.0.0/33', '256.1.1.1', '1.2.3', '010.1.1.1', '2001:db8::/129', 'fe80::1%eth0', 'example.com', '1.2.3.4/8/1', '', '::g', '::ffff:10.0.0.0/8'])(
    'refuses %s',
    (entry) => {
      expect(isIpEntry(entry)).toBe(false);
    },
  );
});
