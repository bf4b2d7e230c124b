// `npm run demo`: the seeds' To-Dos walkthrough on the `npm start` storage. Uses the running app
// if there is one, else starts it for the duration.
import { admin, defaultApp, fail, stopServer } from './nocobase.mjs';
import { createKey, ROLE, setUpTodos, signIn, USER } from './todos-demo.mjs';

const { baseUrl } = defaultApp;

try {
  let server;
  if (!(await defaultApp.isServing())) {
    await defaultApp.prepare();
    server = await defaultApp.start();
  }
  try {
    await setUpTodos(baseUrl);
    const key = await createKey(baseUrl, await signIn(baseUrl, admin.email, admin.password), ROLE.name);
    console.log(`
✔ The To-Dos demo is ready. Try the new key (shown only this once):

curl '${baseUrl}/api/todos:list' \\
  -H 'Authorization: Bearer ${key}'

  "${USER.nickname}" signs in as ${USER.email} / ${USER.password}
`);
  } finally {
    if (server) {
      await stopServer(server);
    }
  }
} catch (error) {
  fail(error.message);
}
