import { readFileSync } from 'fs';
import { join } from 'path';
import { describe, expect, it } from 'vitest';
import { SIGNED_IN_ACTIONS } from '../restrictions/signed-in-actions';

/** The README's table of signed-in actions is the code's table, row for row. */
describe('README', () => {
  const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');

  it.each(Object.entries(SIGNED_IN_ACTIONS))('lists %s with its decision and reason', (name, { key, reason }) => {
    expect(readme).toContain(`| \`${name}\` | ${key ? 'yes' : '**no**'} | ${reason} |`);
  });
});
