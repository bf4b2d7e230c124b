// The seeds' To-Dos walkthrough, through the HTTP API as the admin: a `todos` collection with
// to-dos, a "To Dos API Role" with full access to it, a "To Dos API User" holding only that role.
// Only adds what is missing, so it can run again. Used by `npm run demo`, the browser test and
// the benchmark.
import { admin, step } from './nocobase.mjs';

export const ROLE = { name: 'todos_api_role', title: 'To Dos API Role' };
export const USER = { username: 'todos_api_user', nickname: 'To Dos API User', email: 'todos@example.com', password: 'todos-api-123' };
export const TODOS = ['eat food', 'sleep', 'play games'];
export const KEYWARD_SNIPPET = 'pm.@keyward/plugin-api-keys.configuration';

/**
 * One HTTP API call; throws with the server's message on a refusal. `authenticator: null` sends
 * the token alone, as a script calling with an API key does.
 */
export async function call(baseUrl, token, action, { method = 'GET', params = {}, body, authenticator = 'basic' } = {}) {
  const url = new URL(`/api/${action}`, baseUrl);
  for (const [key, value] of Object.entries(params)) {
    url.searchParams.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  }
  const res = await fetch(url, {
    method,
    headers: {
      'Content-Type': 'application/json',
      ...(authenticator ? { 'X-Authenticator': authenticator } : {}),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    throw new Error(`${method} ${action} answered ${res.status}: ${json.errors?.[0]?.message ?? res.statusText}`);
  }
  return json.data;
}

/** A session token, as the sign-in page gets it. */
export async function signIn(baseUrl, account, password) {
  return (await call(baseUrl, undefined, 'auth:signIn', { method: 'POST', body: { account, password } })).token;
}

/** Creates an API key for one of the signed-in user's roles (same body for Keyward and the built-in). */
export async function createKey(baseUrl, token, roleName, name = `demo ${new Date().toISOString()}`) {
  step(`Creating an API key with the role ${roleName}…`);
  const key = await call(baseUrl, token, 'apiKeys:create', {
    method: 'POST',
    body: { name, role: { name: roleName }, expiresIn: '30d' },
  });
  return key.token;
}

/**
 * Sets the walkthrough up. `snippets` are what the role may configure: by default managing its
 * own Keyward keys.
 */
export async function setUpTodos(baseUrl, { titles = TODOS, snippets = [KEYWARD_SNIPPET] } = {}) {
  const token = await signIn(baseUrl, admin.email, admin.password);
  const api = (action, options) => call(baseUrl, token, action, options);
  const me = await api('auth:check');

  if (!(await api('collections:get', { params: { filterByTk: 'todos' } }))) {
    step('Creating the todos collection (title, completed)…');
    await api('collections:create', {
      method: 'POST',
      body: {
        name: 'todos',
        title: 'To Dos',
        autoGenId: true,
        createdAt: true,
        updatedAt: true,
        createdBy: true,
        updatedBy: true,
        fields: [
          { name: 'title', type: 'string', interface: 'input', uiSchema: { title: 'Title', type: 'string', 'x-component': 'Input' } },
          { name: 'completed', type: 'boolean', interface: 'checkbox', uiSchema: { title: 'Completed', type: 'boolean', 'x-component': 'Checkbox' } },
        ],
      },
    });
  }
  const existing = (await api('todos:list', { params: { paginate: false } })).map((todo) => todo.title);
  const missing = titles.filter((title) => !existing.includes(title));
  if (missing.length) {
    await api('todos:create', { method: 'POST', body: missing.map((title) => ({ title, completed: false })) });
  }

  if (!(await api('roles:get', { params: { filterByTk: ROLE.name } }))) {
    step(`Creating "${ROLE.title}" with full access to todos…`);
    await api('roles:create', { method: 'POST', body: { ...ROLE, snippets } });
  }
  const fields = (await api('collections/todos/fields:list', { params: { paginate: false } })).map((field) => field.name);
  const resources = await api(`roles/${ROLE.name}/resources:list`, { params: { paginate: false } });
  if (!resources.some((resource) => resource.name === 'todos')) {
    await api(`roles/${ROLE.name}/resources:create`, {
      method: 'POST',
      body: {
        name: 'todos',
        usingActionsConfig: true,
        actions: ['view', 'create', 'update', 'destroy'].map((name) => ({ name, fields })),
      },
    });
  }

  const users = await api('users:list', { params: { filter: { username: USER.username } } });
  if (!users.length) {
    step(`Creating "${USER.nickname}" holding only that role…`);
    await api('users:create', { method: 'POST', body: { ...USER, roles: [ROLE.name] } });
  }
  // The admin holds the role too, so it can be picked in Settings → API keys (as in the seed).
  await api(`roles/${ROLE.name}/users:add`, { method: 'POST', body: [me.id] });
}
