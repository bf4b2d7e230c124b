import type Application from '@nocobase/server';
import { PACKAGE_NAME } from '../../constants';
import type PluginKeywardServer from '../plugin';

/**
 * `erase-built-in-api-keys`: what the settings page's "Erase" button does, for those who run
 * NocoBase from a shell. Deletes the built-in plugin's rows of keys Keyward imported, the last
 * plain-text copies of those tokens, and closes the notice.
 */
export default function eraseBuiltInApiKeysCommand(app: Application) {
  app
    .command('erase-built-in-api-keys')
    .preload()
    .action(async () => {
      const plugin = app.pm.get(PACKAGE_NAME) as PluginKeywardServer | undefined;
      if (!plugin) {
        throw new Error(`${PACKAGE_NAME} is not enabled.`);
      }
      const erased = await plugin.handover.erase();
      console.log(`Erased the plain-text copies of ${erased} imported API keys from the built-in plugin's table.`);
    });
}
