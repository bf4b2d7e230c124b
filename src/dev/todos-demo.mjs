// The seeds' To-Dos walkthrough, through the HTTP API as the admin: a `todos` collection with
// three to-dos, a "To Dos API Role" with full access to it, a "To Dos API User" holding it.
// Only adds what is missing, so it can run again. Used by `npm run demo` and the browser test.
import { admin, baseUrl, step } from './nocobase.mjs';

export const ROLE = { name: 'todos_api_role', title: 'To Dos API Role' };
export const USER = { username: 'todos_api_user', nickname: 'To Dos API User', email: 'todos@example.com', password: 'todos-api-123' };
export const TODOS = ['eat food', 'sleep', 'play games'];

let token;

async function api(action, { method = 'GET', params = {}, body, auth = true } = {}) {
  const url = new URL(`/api/${action}`, baseUrl);
  for (const [key, value] of Object.entries(params)) {
    url.searchParams.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  }
  const res = await fetch(url, {
    method,
    headers: {
      'Content-Type': 'application/json',
      'X-Authenticator': 'basic',
      ...(auth && token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    throw new Error(`${method} ${action} answered ${res.status}: ${json.errors?.[0]?.message ?? res.statusText}`);
  }
  return json.data;
}

/** Sets the walkthrough up and returns a new key for the role. */
export async function setUpTodos() {
  token = (await api('auth:signIn', { method: 'POST', body: { account: admin.email, password: admin.password }, auth: false })).token;
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
  const existing = (await api('todos:list', { params: { pageSize: 100 } })).map((todo) => todo.title);
  for (const title of TODOS.filter((title) => !existing.includes(title))) {
    await api('todos:create', { method: 'POST', body: { title, completed: false } });
  }

  if (!(await api('roles:get', { params: { filterByTk: ROLE.name } }))) {
    step(`Creating "${ROLE.title}" with full access to todos…`);
    await api('roles:create', { method: 'POST', body: { ...ROLE, snippets: ['pm.@keyward/plugin-api-keys.configuration'] } });
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
    step(`Creating "${USER.nickname}" holding that role…`);
    await api('users:create', { method: 'POST', body: { ...USER, roles: [ROLE.name] } });
  }
  // The admin holds the role too, so it can be picked in Settings → API keys (as in the seed).
  await api(`roles/${ROLE.name}/users:add`, { method: 'POST', body: [me.id] });

  step('Creating an API key for the To Dos API Role…');
  const key = await api('apiKeys:create', {
    method: 'POST',
    body: { name: `demo ${new Date().toISOString()}`, role: { name: ROLE.name }, expiresIn: '30d' },
  });
  return key.token;
}

