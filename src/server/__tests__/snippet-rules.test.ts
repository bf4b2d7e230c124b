import { describe, expect, it } from 'vitest';
import { snippetGranted } from '../restrictions/snippet-rules';

const SNIPPET = 'pm.@keyward/plugin-api-keys.configuration';

describe('snippetGranted', () => {
  it('grants by the exact snippet and by "Allows to configure plugins" (pm.*), despite the scope slash', () => {
    expect(snippetGranted([SNIPPET], SNIPPET)).toBe(true);
    expect(snippetGranted(['ui.*', 'pm', 'pm.*', 'app'], SNIPPET)).toBe(true);
  });

  it('lets a negated rule win, as the host does', () => {
    expect(snippetGranted(['pm.*', `!${SNIPPET}`], SNIPPET)).toBe(false);
    expect(snippetGranted([`!${SNIPPET}`, 'pm.*'], SNIPPET)).toBe(false);
    expect(snippetGranted(['pm.*', '!pm.*'], SNIPPET)).toBe(false);
  });

  it('grants nothing for other rules', () => {
    expect(snippetGranted([], SNIPPET)).toBe(false);
    expect(snippetGranted(['pm', 'ui.*', 'pm.api-keys.configuration', 'pm.@keyward/plugin-api-keys'], SNIPPET)).toBe(false);
    // Regex characters in a rule are literal.
    expect(snippetGranted(['pm.@keyward/plugin-api-keys.configuratio.'], SNIPPET)).toBe(false);
  });
});
