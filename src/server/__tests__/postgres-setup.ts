import { beforeAll } from 'vitest';
import { ensureDatabase, postgresSettings } from '../../dev/postgres.mjs';
import { runDatabasePrefix } from './postgres-run';

// On PostgreSQL every mock server of a test file uses DB_DATABASE, and installing one drops every
// table: files run at once in parallel forks, or two test runs on one server, would drop each
// other's. Each fork of a run gets a database of its own, reused by the files it runs one after
// another and dropped when the run ends (postgres-run.ts).
beforeAll(async () => {
  if (process.env.DB_DIALECT !== 'postgres') {
    return;
  }
  process.env.KEYWARD_BASE_DATABASE ??= process.env.DB_DATABASE;
  // A fork is a child of the run's main process.
  const database = `${runDatabasePrefix(process.ppid, process.env.KEYWARD_BASE_DATABASE)}${process.env.VITEST_POOL_ID ?? 0}`;
  await ensureDatabase(postgresSettings(), database);
  process.env.DB_DATABASE = database;
});
