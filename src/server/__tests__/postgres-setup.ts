import { beforeAll } from 'vitest';
import { ensureDatabase, postgresSettings } from '../../dev/postgres.mjs';

// On PostgreSQL every mock server of a test file uses DB_DATABASE, and installing one drops every
// table: files run at once in parallel forks would drop each other's. Each fork gets a database
// of its own (DB_DATABASE_<fork>), reused by the files it runs one after another.
beforeAll(async () => {
  if (process.env.DB_DIALECT !== 'postgres') {
    return;
  }
  process.env.KEYWARD_TEST_DATABASE ??= process.env.DB_DATABASE || 'keyward_test';
  const database = `${process.env.KEYWARD_TEST_DATABASE}_${process.env.VITEST_POOL_ID ?? 0}`;
  await ensureDatabase(postgresSettings(), database);
  process.env.DB_DATABASE = database;
});
