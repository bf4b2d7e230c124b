import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { describe, expect, it } from 'vitest';
import enUS from '../../locale/en-US.json';
import zhCN from '../../locale/zh-CN.json';
import { refusals } from '../../server/errors';

const PATTERNS = [
  /\bt\('([^']+)'/g, // t('…') in the client
  /badInput\(\s*'([^']+)'/g, // server input errors
  /_MESSAGE = '([^']+)'/g,
  /^\s+['\w]+: '([0-9A-Z][a-z0-9 ]*)',$/gm, // label maps handed to t() through a variable
  /empty="([^"]+)"/g,
];

function textsIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      return entry.name === '__tests__' ? [] : textsIn(path);
    }
    const source = readFileSync(path, 'utf8');
    return PATTERNS.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1]));
  });
}

describe('locales', () => {
  const refusalTexts = Object.entries(refusals)
    .filter(([name]) => name !== 'badInput')
    .map(([, make]) => (make as () => Error)().message);
  const texts = [...new Set([...refusalTexts, ...textsIn(join(__dirname, '..')), ...textsIn(join(__dirname, '../../server'))])];

  it('finds the texts it checks', () => {
    expect(texts).toEqual(expect.arrayContaining(['Add API key', 'Invalid API key.', 'Name is required.', '7 days', 'Never used']));
  });

  it.each([
    ['en-US', enUS],
    ['zh-CN', zhCN],
  ])('%s has every text', (_, resources) => {
    expect(texts.filter((text) => !(text in resources))).toEqual([]);
  });
});
