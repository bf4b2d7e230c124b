import { refusals } from '../errors';

/** Set on the reads of `apiKeys:usage`, which has checked that the key is the caller's. */
export const USAGE_READ: unique symbol = Symbol('keywardUsageRead');

type Options = Record<string | symbol, any>;

/**
 * Deny by default at the storage layer: the usage rows say which keys are used, how much and
 * how they fail, for every owner. A host API that reaches the model (charts, export, workflow
 * queries and aggregates) would hand them out to a role whose strategy views every collection;
 * only the owner's own `apiKeys:usage` reads them. Writes (counts, pruning) are not finds.
 */
export function guardUsageRows(model: {
  addHook(name: string, fn: (options: Options) => void): void;
  aggregate(field: string, fn: string, options?: Options): Promise<unknown>;
}) {
  const aggregate = model.aggregate.bind(model);
  // Sequelize runs no hook for aggregates.
  model.aggregate = (field, fn, options = {}) => (options[USAGE_READ] ? aggregate(field, fn, options) : Promise.reject(refusals.actionNotAllowed()));
  for (const hook of ['beforeFind', 'beforeCount']) {
    model.addHook(hook, (options) => {
      if (!options[USAGE_READ]) {
        throw refusals.actionNotAllowed();
      }
    });
  }
}
