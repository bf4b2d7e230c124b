// `npm start`: NocoBase with this plugin at http://localhost:13000 until Ctrl-C.
import { admin, defaultApp, fail, stopServer } from './nocobase.mjs';

const { baseUrl } = defaultApp;

try {
  await defaultApp.prepare();
  const server = await defaultApp.start();
  console.log(`
✔ NocoBase with Keyward is running at ${baseUrl}
  Sign in as ${admin.email} / ${admin.password}
  Settings → API keys: ${baseUrl}/admin/settings/keyward-api-keys
  Press Ctrl-C to stop.
`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\n› Stopping…');
    await stopServer(server);
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const code = await server.exited;
  if (!stopping) {
    fail(`NocoBase exited on its own (exit code ${code}).`);
  }
} catch (error) {
  fail(error.message);
}
