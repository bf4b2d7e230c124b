import { dropDatabases, postgresSettings } from '../../dev/postgres.mjs';

/** The names of one test run's databases on PostgreSQL: `<DB_DATABASE>_<run's pid>_<fork>`. */
export const runDatabasePrefix = (pid: number, base = process.env.DB_DATABASE) => `${base || 'keyward_test'}_${pid}_`;

/** vitest's global setup: once the run ends, its databases go. */
export async function teardown() {
  if (process.env.DB_DIALECT === 'postgres') {
    await dropDatabases(postgresSettings(), runDatabasePrefix(process.pid));
  }
}
