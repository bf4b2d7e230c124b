import type Database from '@nocobase/database';
import type { Transaction } from '@nocobase/database';
import { COLLECTION } from '../../constants';

type Options = { transaction?: Transaction; where?: unknown; keywardOwnerIds?: unknown[] };

/**
 * A user's keys go with the user, in the same transaction: a key left behind would be revived
 * by a later user who is given the same id (SQLite reuses the highest id after a delete).
 */
export function deleteKeysWithOwner(db: Database) {
  const destroyKeysOf = async (ids: unknown[], transaction?: Transaction) => {
    if (ids.length) {
      await db.getRepository(COLLECTION).destroy({ filter: { createdById: { $in: ids } }, transaction });
    }
  };
  db.on('users.afterDestroy', async (user: { get(name: string): unknown }, options: Options) => {
    await destroyKeysOf([user.get('id')], options.transaction);
  });
  // A bulk delete names its rows by a condition: read their ids while they still exist.
  db.on('users.beforeBulkDestroy', async (options: Options) => {
    const rows = await db.getModel('users').findAll({ where: options.where as any, attributes: ['id'], transaction: options.transaction });
    options.keywardOwnerIds = rows.map((row) => row.get('id'));
  });
  db.on('users.afterBulkDestroy', async (options: Options) => {
    await destroyKeysOf(options.keywardOwnerIds ?? [], options.transaction);
  });
}
