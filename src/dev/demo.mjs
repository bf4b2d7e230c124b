// `npm run demo`: the seeds' To-Dos walkthrough on the `npm start` storage. Uses the running app
// if there is one, else starts it for the duration.
import { baseUrl, fail, isServing, prepare, startServer, stopServer } from './nocobase.mjs';
import { setUpTodos, USER } from './todos-demo.mjs';

try {
  let server;
  if (!(await isServing())) {
    await prepare();
    server = await startServer();
  }
  try {
    const key = await setUpTodos();
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
