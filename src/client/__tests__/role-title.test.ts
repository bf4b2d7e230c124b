import { describe, expect, it, vi } from 'vitest';
import { NAMESPACE } from '../../constants';
import { roleTitle } from '../role-title';

describe('roleTitle', () => {
  it("translates the host's title templates with the host's strings", () => {
    const t = vi.fn((text: string) => `«${text}»`);
    expect(roleTitle('{{t("Admin")}}', t)).toBe('«Admin»');
    expect(roleTitle("{{ t('Member') }}", t)).toBe('«Member»');
    expect(t).toHaveBeenCalledWith('Admin', { ns: [NAMESPACE, 'client'] });
  });

  it('shows any other title as it is (through the plugin namespace)', () => {
    const t = vi.fn((text: string) => text);
    expect(roleTitle('To Dos API Role', t)).toBe('To Dos API Role');
    expect(roleTitle('{{t("Admin")}} and more', t)).toBe('{{t("Admin")}} and more');
  });
});
