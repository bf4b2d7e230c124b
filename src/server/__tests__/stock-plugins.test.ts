import { createMockServer, type MockServer } from '@nocobase/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_NAME } from '../../constants';
import PluginKeywardServer from '../plugin';
import { decisionFor } from '../restrictions/signed-in-actions';

/**
 * Every plugin a stock NocoBase 2.2.15 enables (the preset's built-in list; the built-in API keys
 * plugin left out, as Keyward replaces it): each action the host lets any signed-in user call,
 * whatever the role, has a decision in the signed-in action table.
 */
describe('with the plugins a stock NocoBase enables', () => {
  let app: MockServer;

  beforeAll(async () => {
    const builtIn: string[] = require('@nocobase/preset-nocobase/package.json').builtIn;
    const plugins = builtIn.map((name) => name.replace('@nocobase/plugin-', '')).filter((name) => name !== 'api-keys');
    app = await createMockServer({
      plugins: [...plugins, [PluginKeywardServer, { name: PACKAGE_NAME }]] as any,
      acl: true,
      registerActions: true,
      resourcer: { prefix: '/api' },
    });
  }, 180_000);

  afterAll(async () => {
    await app?.destroy();
  });

  it('has a decision for every action allowed to any signed-in user, on every data source', () => {
    const undecided: string[] = [];
    for (const dataSource of app.dataSourceManager.dataSources.values()) {
      const allowances = (dataSource.acl as any).allowManager.skipActions as Map<string, Map<string, unknown>>;
      for (const [resource, actions] of allowances) {
        for (const action of actions.keys()) {
          // `*:*` is the ACL plugin's rule for the root role: a role decision, not a grant to everyone.
          if (`${resource}:${action}` !== '*:*' && !decisionFor(resource, action)) {
            undecided.push(`${resource}:${action}`);
          }
        }
      }
    }
    expect(undecided).toEqual([]);
  });
});
