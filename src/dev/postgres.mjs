// A PostgreSQL database for tests: Debian's `postgresql`, installed and started when this runs as
// root on a machine without it, or the server already running at DB_HOST:DB_PORT.
//
//   import { ensurePostgres } from './postgres.mjs';
//   const env = await ensurePostgres({ database: 'keyward_cluster' });  // DB_DIALECT, DB_HOST, …
//
// Run as a script, it makes sure of the database, then runs the rest of the command line with that
// environment: `node src/dev/postgres.mjs vitest run src/server` (what `npm run test:postgres` does).
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** The connection the DB_* variables name, with this repository's test defaults for the rest. */
export function postgresSettings(env = process.env) {
  return {
    host: env.DB_HOST || '127.0.0.1',
    port: Number(env.DB_PORT || 5432),
    user: env.DB_USER || 'keyward',
    password: env.DB_PASSWORD || 'keyward',
    database: env.DB_DATABASE || 'keyward_test',
  };
}

/** The variables NocoBase (and @nocobase/test) read to connect to these settings. */
export function postgresEnvironment({ host, port, user, password, database }) {
  return {
    DB_DIALECT: 'postgres',
    DB_HOST: host,
    DB_PORT: String(port),
    DB_DATABASE: database,
    DB_USER: user,
    DB_PASSWORD: password,
  };
}

const quoteIdentifier = (name) => `"${String(name).replace(/"/g, '""')}"`;
const quoteLiteral = (value) => `'${String(value).replace(/'/g, "''")}'`;

async function connect(settings, database) {
  const { Client } = require('pg');
  const client = new Client({ ...settings, database, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

/**
 * Creates `database` unless it exists, connected as the settings' user (who needs CREATEDB);
 * safe when several processes ask for the same name at once.
 */
export async function ensureDatabase(settings, database = settings.database) {
  const client = await connect(settings, 'postgres');
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE ${quoteIdentifier(database)}`).catch((error) => {
        // 42P04: created meanwhile; 23505: two CREATE DATABASE of one name raced in the catalog.
        if (error.code !== '42P04' && error.code !== '23505') {
          throw error;
        }
      });
    }
  } finally {
    await client.end();
  }
}

/** Drops every database whose name starts with `prefix` (none may be in use). */
export async function dropDatabases(settings, prefix) {
  const client = await connect(settings, 'postgres');
  try {
    const { rows } = await client.query('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(datname)}`);
    }
    return rows.map(({ datname }) => datname);
  } finally {
    await client.end();
  }
}

function run(command, args, { quiet = false } = {}) {
  const result = spawnSync(command, args, {
    cwd: '/tmp', // psql as postgres cannot read the repository's folder
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: quiet ? 'pipe' : ['ignore', 'inherit', 'inherit'],
  });
  if (result.error) {
    throw result.error;
  }
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}${quiet ? `: ${result.stderr.trim()}` : ''}`);
  }
  return result.stdout ?? '';
}

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

/** Debian's clusters (`pg_lsclusters`): version, name, port, status. */
function clusters() {
  return run('pg_lsclusters', ['--no-header'], { quiet: true })
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 4)
    .map(([version, name, port, status]) => ({ version, name, port: Number(port), status }));
}

/** Installs Debian's PostgreSQL if missing and starts the cluster on `port`; as root only. */
function startLocalServer(port, log) {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new Error('PostgreSQL is not reachable and only root can install or start it here');
  }
  if (!has('pg_lsclusters') || !has('psql')) {
    log('installing PostgreSQL (apt-get install postgresql)');
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', 'postgresql']);
  }
  let cluster = clusters().find((entry) => entry.port === port);
  if (!cluster) {
    const version = run('sh', ['-c', 'ls /usr/lib/postgresql | sort -n | tail -1'], { quiet: true }).trim();
    log(`creating a PostgreSQL ${version} cluster on port ${port}`);
    const name = port === 5432 ? 'main' : `keyward${port}`;
    run('pg_createcluster', [version, name, '--port', String(port)]);
    cluster = { version, name, port, status: 'down' };
  }
  if (cluster.status !== 'online') {
    log(`starting PostgreSQL ${cluster.version}/${cluster.name} on port ${port}`);
    run('pg_ctlcluster', [cluster.version, cluster.name, 'start']);
  }
}

/**
 * As the postgres system user: the settings' user (a superuser, for tests) with its password.
 * A role that exists already is left alone: a mistyped password must not reset a real role's.
 */
function createUser({ port, user, password }) {
  const sql = `DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${quoteLiteral(user)}) THEN
      CREATE ROLE ${quoteIdentifier(user)} LOGIN SUPERUSER PASSWORD ${quoteLiteral(password)};
    ELSE
      RAISE EXCEPTION 'role % exists already: set DB_PASSWORD to its password', ${quoteLiteral(user)};
    END IF;
  END $$;`;
  run('runuser', ['-u', 'postgres', '--', 'psql', '-q', '-p', String(port), '-v', 'ON_ERROR_STOP=1', '-c', sql], {
    quiet: true,
  });
}

const waitFor = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A PostgreSQL database to run NocoBase on; answers the DB_* environment that reaches it.
 *
 * The server is the one at DB_HOST:DB_PORT (127.0.0.1:5432 unless set) as DB_USER/DB_PASSWORD
 * (keyward/keyward unless set). When it does not answer or does not know the user, and this runs
 * as root on the same machine, Debian's `postgresql` is installed (apt-get) if missing, its cluster
 * started, and the user created as a superuser. `database` (else DB_DATABASE, else keyward_test)
 * is created if it does not exist; nothing in it is dropped.
 */
export async function ensurePostgres({ database, env = process.env, log = (line) => console.log(`› ${line}`) } = {}) {
  const settings = postgresSettings(env);
  if (database) {
    settings.database = database;
  }
  const local = ['127.0.0.1', 'localhost', '::1'].includes(settings.host);
  /** null when the server answers to the settings' user, else why it does not (ECONNREFUSED, 28P01, …). */
  const refusal = async () => {
    try {
      await (await connect(settings, 'postgres')).end();
      return null;
    } catch (error) {
      return error;
    }
  };
  let error = await refusal();
  // ECONNREFUSED: no server; 28P01/28000: the user or its password is unknown.
  if (error && (!local || !['ECONNREFUSED', '28P01', '28000'].includes(error.code))) {
    throw new Error(`PostgreSQL at ${settings.host}:${settings.port} as ${settings.user}: ${error.message}`);
  }
  if (error?.code === 'ECONNREFUSED') {
    startLocalServer(settings.port, log);
    // The server accepts connections a moment after pg_ctlcluster returns; the user may exist already.
    for (let attempt = 0; (error = await refusal())?.code === 'ECONNREFUSED' || error?.code === '57P03'; attempt++) {
      if (attempt >= 30) {
        throw error;
      }
      await waitFor(500);
    }
  }
  if (error) {
    createUser(settings);
  }
  await ensureDatabase(settings);
  return postgresEnvironment(settings);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [command, ...args] = process.argv.slice(2);
  try {
    const env = await ensurePostgres();
    console.log(`› PostgreSQL: ${env.DB_USER}@${env.DB_HOST}:${env.DB_PORT}/${env.DB_DATABASE}`);
    if (command) {
      const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, ...env }, shell: false });
      child.on('exit', (code, signal) => process.exit(signal ? 1 : code ?? 1));
    } else {
      for (const [name, value] of Object.entries(env)) {
        console.log(`${name}=${value}`);
      }
    }
  } catch (error) {
    console.error(`✖ ${error.message}`);
    process.exit(1);
  }
}
