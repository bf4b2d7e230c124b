import { readFileSync } from 'fs';
import { join } from 'path';
import { describe, expect, it } from 'vitest';
import { CONFIGURATION_READS } from '../restrictions/configuration';
import { FILTER_OPERATORS, FILTER_VARIABLES } from '../restrictions/filter-operators';
import { READ_ACTIONS } from '../restrictions/read-actions';
import { SIGNED_IN_ACTIONS } from '../restrictions/signed-in-actions';

/** The README's tables of signed-in actions, configuration reads, reads and filter operators are the code's, row for row. */
describe('README', () => {
  const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');

  it.each(Object.entries(SIGNED_IN_ACTIONS))('lists %s with its decision and reason', (name, { key, reason }) => {
    expect(readme).toContain(`| \`${name}\` | ${key ? 'yes' : '**no**'} | ${reason} |`);
  });

  it.each(Object.entries(CONFIGURATION_READS))('lists the configuration read %s with its reason', (name, reason) => {
    expect(readme).toContain(`| \`${name}\` | ${reason} |`);
  });

  it.each(Object.entries(READ_ACTIONS))('lists the read action %s with its reason', (name, reason) => {
    expect(readme).toContain(`| \`${name}\` | ${reason} |`);
  });

  it.each(Object.entries(FILTER_OPERATORS))('lists the filter operator %s with what it takes and its reason', (name, { operand, reason }) => {
    expect(readme).toContain(`| \`${name}\` | ${operand} | ${reason} |`);
  });

  it.each(Object.entries(FILTER_VARIABLES))('lists the filter variable %s with its reason', (name, { then, reason }) => {
    expect(readme).toContain(`| \`${name}\` | ${then} | ${reason} |`);
  });
});
