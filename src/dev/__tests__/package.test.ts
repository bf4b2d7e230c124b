import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../../..');

/** What `npm pack` ships, as the plugin manager installs it (run after `npm run build`). */
describe('the package', () => {
  const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }))[0];
  const files: string[] = packed.files.map((file: { path: string }) => file.path);

  it('carries both halves, the locales, the command, externalVersion.js and its runtime dependencies', () => {
    for (const file of [
      'package.json',
      'server.js',
      'client.js',
      'dist/server/index.js',
      'dist/server/commands/generate-api-key.js',
      'dist/client/index.js',
      'dist/locale/de-DE.json',
      'dist/locale/zh-TW.json',
      'dist/externalVersion.js',
      'dist/node_modules/ms/package.json',
    ]) {
      expect(files, file).toContain(file);
    }
    // No sources: the plugin manager would read their imports instead of externalVersion.js.
    expect(files.filter((file) => file.startsWith('src/') || file.includes('__tests__'))).toEqual([]);
  });

  it('lists the host modules it was built against', () => {
    const versions = require(join(root, 'dist/externalVersion.js'));
    const server = JSON.parse(readFileSync(join(root, 'node_modules/@nocobase/server/package.json'), 'utf8')).version;
    expect(versions).toMatchObject({ '@nocobase/server': server, '@nocobase/client': server, '@nocobase/database': server });
    expect(versions).not.toHaveProperty('ms');
  });

  it('finds its own copy of each runtime dependency before any the host has', () => {
    const from = dirname(join(root, 'dist/server/persistence/key-store.js'));
    expect(require.resolve('ms', { paths: [from] })).toContain(join(root, 'dist/node_modules/ms'));
  });
});
