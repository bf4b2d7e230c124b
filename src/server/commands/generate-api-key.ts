import type Application from '@nocobase/server';
import { PACKAGE_NAME } from '../../constants';
import { issueKey } from '../actions/issue-key';
import { KeywardError } from '../errors';

/**
 * `generate-api-key`, as the built-in plugin has it (same options, same BEGIN/END lines), so
 * automation written for the built-in keeps working. The plugin manager finds it in
 * `dist/server/commands/`.
 */
export default function generateApiKeyCommand(app: Application) {
  app
    .command('generate-api-key')
    .preload()
    .requiredOption('-n, --name <name>', 'The name of the API key')
    .requiredOption('-r, --role <roleName>', 'The role of the API key')
    .requiredOption('-u, --username <username>', 'The username of the API key')
    .option('-e, --expires-in [expiresIn]', 'The expiration time of the API key', '30d')
    .action(async (options: { name: string; role: string; username: string; expiresIn: string }) => {
      if (!app.pm.get(PACKAGE_NAME)) {
        throw new Error(`${PACKAGE_NAME} is not enabled.`);
      }
      const user = await app.db.getRepository('users').findOne({ filter: { username: options.username } });
      if (!user) {
        throw new Error('User not found');
      }
      try {
        const { token } = await issueKey(app.db, user.get('id'), {
          name: options.name,
          roleName: options.role,
          expiresIn: options.expiresIn,
        });
        console.log('-----BEGIN API KEY-----');
        console.log(token);
        console.log('-----END API KEY-----');
      } catch (error) {
        // One line, as the built-in's errors are: no stack for a refused input.
        throw error instanceof KeywardError ? new Error(error.message) : error;
      }
    });
}
