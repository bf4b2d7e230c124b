import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);
// `npm run test:postgres` sets DB_DIALECT=postgres and DB_HOST/DB_PORT/DB_DATABASE/DB_USER/DB_PASSWORD;
// otherwise every app of the tests has an in-memory SQLite database of its own.
const database = process.env.DB_DIALECT === 'postgres' ? {} : { DB_DIALECT: 'sqlite', DB_STORAGE: ':memory:' };

export default defineConfig({
  resolve: {
    // @nocobase/test's ESM entry points at files it does not ship.
    alias: { '@nocobase/test': require.resolve('@nocobase/test') },
  },
  test: {
    include: ['src/**/__tests__/**/*.test.{ts,tsx}'],
    environmentMatchGlobs: [['src/client/**', 'jsdom']],
    setupFiles: ['src/client/__tests__/setup.ts', 'src/server/__tests__/postgres-setup.ts'],
    globalSetup: ['src/server/__tests__/postgres-run.ts'],
    env: {
      ...database, LOGGER_LEVEL: 'error', APP_ENV: 'test',
      // The plugin manager resolves host plugins by name only with this set.
      NODE_MODULES_PATH: resolve('node_modules'),
      // Every test sends its refusals from 127.0.0.1; the flood test sets its own threshold.
      KEYWARD_MAX_FAILURES_PER_MINUTE: '100000',
    },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
