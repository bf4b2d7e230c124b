import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { describe, expect, it } from 'vitest';
import { LOCALES } from '../../locale';
import enUS from '../../locale/en-US.json';
import { refusals } from '../../server/errors';

const PATTERNS = [
  /\bt\('([^']+)'/g, // t('…') in the client
  /badInput\(\s*'([^']+)'/g, // server input errors
  /^\s+message: '([^']+)',$/gm, // messages kept in a table of errors
  /_MESSAGE = '([^']+)'/g,
  /^\s+['\w]+: '([0-9A-Z][a-z0-9 ]*)',$/gm, // label maps handed to t() through a variable
  /empty="([^"]+)"/g,
  /ErrorCode\.\w+,\s*'([^']+)'/g, // refusals thrown where no request is at hand
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

  it('ships every language the built-in API keys plugin ships', () => {
    const builtIn = readdirSync(join(require.resolve('@nocobase/plugin-api-keys/package.json'), '../dist/locale'))
      .filter((file) => file.endsWith('.json'))
      .map((file) => file.replace('.json', ''));
    expect(Object.keys(LOCALES).sort()).toEqual(builtIn.sort());
  });

  it('has every text in en-US', () => {
    expect(texts.filter((text) => !(text in enUS))).toEqual([]);
  });

  it.each(Object.entries(LOCALES))('%s translates every en-US text, placeholders kept', (_, resources) => {
    expect(Object.keys(resources).sort()).toEqual(Object.keys(enUS).sort());
    for (const [text, translation] of Object.entries(resources)) {
      for (const placeholder of text.match(/{{\w+}}/g) ?? []) {
        expect(translation, text).toContain(placeholder);
      }
    }
  });
});
