import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import { NAMESPACE } from '../../constants';
import { translator } from '../translate';

describe('translator', () => {
  it("leaves values as the server wrote them: React escapes, and a CIDR range keeps its slash", async () => {
    const i18n = i18next.createInstance();
    await i18n.init({ lng: 'en-US', resources: { 'en-US': { [NAMESPACE]: { '{{entry}} is not an IP address or a CIDR range.': '{{entry}} is not an IP address or a CIDR range.' } } } });
    expect(translator(i18n)('{{entry}} is not an IP address or a CIDR range.', { entry: '10.0.0.0/33' })).toBe('10.0.0.0/33 is not an IP address or a CIDR range.');
  });
});
