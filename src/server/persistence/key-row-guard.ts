import { refusals } from '../errors';

/**
 * Set on Keyward's own writes of key rows: issuing a key, its update action, importing the
 * built-in's. A symbol: no request parameter or JSON config spread into a query's options can carry it.
 */
export const KEY_WRITE: unique symbol = Symbol('keywardKeyWrite');

/** The last argument of every write hook: (row, options), (rows, options) or (options). */
const WRITE_HOOKS = ['beforeCreate', 'beforeBulkCreate', 'beforeUpdate', 'beforeBulkUpdate', 'beforeUpsert'];

/**
 * Deny by default at the storage layer: a key row is created or changed by Keyward's own code
 * only. Any other path to the model (a workflow's create or update node, an import, another
 * plugin's repository call) could set a hash it knows, another owner or another role, and so
 * forge a key. Deleting stays open: it only revokes.
 */
export function guardKeyRows(model: { addHook(name: string, fn: (...args: any[]) => void): void }) {
  for (const hook of WRITE_HOOKS) {
    model.addHook(hook, (...args: any[]) => {
      if (!args[args.length - 1]?.[KEY_WRITE]) {
        throw refusals.actionNotAllowed();
      }
    });
  }
}
