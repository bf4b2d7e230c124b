import { CollectionManager, DataSource } from '@nocobase/data-source-manager';
import type { PluginConfiguration } from '@nocobase/server';
import { createMockCluster, createMockServer, type MockServer, type MockServerOptions } from '@nocobase/test';
import { join } from 'node:path';
import type { SuperAgentTest } from 'supertest';
import { PACKAGE_NAME } from '../../constants';
import PluginKeywardServer from '../plugin';

export const HOST_PLUGINS = [
  'field-sort',
  'users',
  'user-data-sync',
  'auth',
  'acl',
  'data-source-manager',
  'system-settings',
  'error-handler',
];
export const SNIPPET = `pm.${PACKAGE_NAME}.configuration`;
export const TODOS_ROLE = 'todos-api';

// `/api` as in a real app, so the seeds' URLs are used verbatim.
const common = (extraPlugins: string[] = []) => ({
  // Extras install before system-settings, which uploads the logo through file-manager.
  plugins: [
    ...HOST_PLUGINS.flatMap((name) => (name === 'system-settings' ? [...extraPlugins, name] : [name])),
    [PluginKeywardServer, { name: PACKAGE_NAME }],
  ] as PluginConfiguration[],
  acl: true,
  registerActions: true,
  resourcer: { prefix: '/api' },
});

/** `extraPlugins`: host plugins a test attacks through, beside the ones every test has. */
export function createApp({ extraPlugins, ...options }: MockServerOptions & { extraPlugins?: string[] } = {}) {
  return createMockServer({ ...common(extraPlugins), ...options });
}

/**
 * One database for several apps of a test (a cluster's nodes, an app started again on the same
 * data): a SQLite file in `dir`, since in-memory SQLite gives each app its own; on PostgreSQL
 * (`npm run test:postgres`), the test's own database from the environment.
 */
export function sharedDatabase(dir: string): MockServerOptions['database'] {
  return process.env.DB_DIALECT === 'postgres' ? undefined : { dialect: 'sqlite', storage: join(dir, 'db.sqlite') };
}

export function createCluster(options: MockServerOptions & { number?: number }) {
  return createMockCluster({ ...common(), ...options });
}

/** The seeds' To-Dos walkthrough: a `todos` collection, a role with full access to it, a user. */
export async function setUpTodos(app: MockServer) {
  defineTodos(app);
  await app.db.sync();
  await app.db.getRepository('todos').create({
    values: [{ title: 'eat food' }, { title: 'sleep' }, { title: 'play games' }],
  });
  await app.db.getRepository('roles').create({
    values: {
      name: TODOS_ROLE,
      title: 'To Dos API Role',
      snippets: [SNIPPET],
      resources: [
        {
          name: 'todos',
          usingActionsConfig: true,
          actions: ['view', 'create', 'update', 'destroy'].map((name) => ({ name, fields: ['title', 'completed'] })),
        },
      ],
    },
  });
  const user = await createUser(app, 'todos', [TODOS_ROLE]);
  return { user };
}

/** The `todos` collection alone: an app started again on the same database defines it again. */
export function defineTodos(app: MockServer) {
  app.db.collection({
    name: 'todos',
    // As the collection manager's collections are: data a role's strategy covers.
    asStrategyResource: true,
    createdBy: true,
    fields: [
      { name: 'title', type: 'string' },
      { name: 'completed', type: 'boolean' },
    ],
  });
}

export async function createUser(app: MockServer, username: string, roles: string[]) {
  return app.db.getRepository('users').create({ values: { username, nickname: username, roles } });
}

/** Signs in as the user (a session token) and creates a key; returns the key and its record. */
export async function createKey(
  app: MockServer,
  user: { id: number },
  values: Record<string, unknown> = {},
  roleName = TODOS_ROLE,
) {
  const agent = await app.agent().login(user, roleName);
  const res = await agent
    .resource('apiKeys')
    .create({ values: { name: `key-${Math.random()}`, role: { name: TODOS_ROLE }, expiresIn: '30d', ...values } });
  if (res.status !== 200) {
    throw new Error(`apiKeys:create answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return { key: res.body.data.token as string, record: res.body.data, agent };
}

/** A plain HTTP client with no session: only the headers given. */
export function withHeaders(app: MockServer, headers: Record<string, string> = {}) {
  const agent = app.agent() as unknown as SuperAgentTest;
  return {
    get: (url: string) => agent.get(url).set(headers),
    post: (url: string) => agent.post(url).set(headers),
  };
}

/** A request with nothing but the key (and any extra headers), as curl or a script sends it. */
export function withKey(app: MockServer, key: string, headers: Record<string, string> = {}) {
  return withHeaders(app, { Authorization: `Bearer ${key}`, ...headers });
}

/** A data source of another kind than the main one, as the data source manager plugin adds them. */
export class OtherSource extends DataSource {
  createCollectionManager(options: any) {
    return new CollectionManager(options);
  }
}
