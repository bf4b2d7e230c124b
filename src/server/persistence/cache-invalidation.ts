import type { Transaction } from '@nocobase/database';
import type { Plugin } from '@nocobase/server';
import { COLLECTION } from '../../constants';
import { ChangeStamp, stampStore } from '../cluster/change-stamp';
import type { KeyStore } from './key-store';

/**
 * A cluster message: one key's id, or none to drop every cached key; `imported` when keys were
 * imported from the built-in plugin, whose tokens every node must learn to route.
 */
export interface InvalidationMessage {
  id?: number | string;
  imported?: true;
}

/** Whatever changes who a key acts for: membership, users, roles. Rare enough to drop all. */
const OWNERSHIP_EVENTS = [
  'rolesUsers.afterSave',
  'rolesUsers.afterDestroy',
  'rolesUsers.afterBulkCreate',
  'rolesUsers.afterBulkUpdate',
  'rolesUsers.afterBulkDestroy',
  'users.afterSave',
  'users.afterDestroy',
  'users.afterBulkUpdate',
  'users.afterBulkDestroy',
  'roles.afterSave',
  'roles.afterDestroy',
  'roles.afterBulkUpdate',
  'roles.afterBulkDestroy',
];

function apply(store: KeyStore, { id }: InvalidationMessage) {
  if (id !== undefined && id !== null) {
    store.invalidate(id);
  } else {
    store.clear();
  }
}

/**
 * Keeps the key cache true on this node and on every other. Entries are dropped now and again
 * once the change commits (a lookup may have read the old row in between); other nodes hear of
 * it over the host's pub/sub without the sync manager's debounce, so a revoked key is refused
 * everywhere as soon as the change is committed; and, with pub/sub or without, within a second
 * from a counter in the shared cache (the returned {@link ChangeStamp}, to start and stop).
 */
export async function watchKeyChanges(plugin: Plugin, store: KeyStore) {
  const { app, db } = plugin;
  const channel = `${app.name}.${plugin.name}.invalidate`;
  const reloadImported = () =>
    store.loadImported().catch((error) => app.log.warn('Imported API keys not reloaded', { error }));
  const stamp = new ChangeStamp(stampStore(app, `${plugin.name}:key-changes`), {
    onChange: async () => {
      store.clear();
      await reloadImported();
    },
    onError: (error) => app.log.warn('API key change stamp not read or written', { error }),
  });

  // Each on its own: a cache that refuses the stamp must not hold the message back, or the reverse.
  const broadcast = async (message: InvalidationMessage) => {
    const [published, stamped] = await Promise.allSettled([
      (async () => {
        if (await app.pubSubManager.isConnected()) {
          await app.pubSubManager.publish(channel, message, { skipSelf: true });
        }
      })(),
      stamp.bump(),
    ]);
    const failure = [published, stamped].find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failure) {
      throw failure.reason;
    }
  };
  const announce = (message: InvalidationMessage) =>
    broadcast(message).catch((error) => app.log.warn('API key cache invalidation not broadcast', { error }));
  const afterCommit = (options: { transaction?: Transaction } | undefined, run: () => void) => {
    if (options?.transaction) {
      options.transaction.afterCommit(run);
    } else {
      run();
    }
  };
  const invalidate = (message: InvalidationMessage, options?: { transaction?: Transaction }) => {
    apply(store, message);
    afterCommit(options, () => {
      apply(store, message);
      announce(message);
    });
  };
  const lastArgument = (args: unknown[]) => args[args.length - 1] as { transaction?: Transaction } | undefined;

  // This node takes the hash from the row just written; the others reload theirs, once for a
  // whole import rather than once per key.
  let importAnnounced: NodeJS.Timeout | undefined;
  const announceImport = () => {
    importAnnounced ??= setTimeout(() => {
      importAnnounced = undefined;
      announce({ imported: true });
    }, 200);
  };
  db.on(`${COLLECTION}.afterCreate`, (key: { get(name: string): any }, options: { transaction?: Transaction }) => {
    if (key.get('imported')) {
      store.addImported(key.get('hash'));
      afterCommit(options, announceImport);
    }
  });
  for (const event of ['afterUpdate', 'afterDestroy']) {
    db.on(`${COLLECTION}.${event}`, (key: { get(name: string): number | string }, options: { transaction?: Transaction }) =>
      invalidate({ id: key.get('id') }, options),
    );
  }
  for (const event of [`${COLLECTION}.afterBulkUpdate`, `${COLLECTION}.afterBulkDestroy`, ...OWNERSHIP_EVENTS]) {
    db.on(event, (...args: unknown[]) => invalidate({}, lastArgument(args)));
  }
  // The host's own signal that a user's roles changed (users/<id>/roles:add|remove|set).
  app.on('cache:del:roles', () => invalidate({}));

  await app.pubSubManager.subscribe(channel, async (message: InvalidationMessage) => {
    if (message.imported) {
      await reloadImported();
    } else {
      apply(store, message);
    }
  });
  return stamp;
}
