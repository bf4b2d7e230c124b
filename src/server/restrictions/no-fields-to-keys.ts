import type Database from '@nocobase/database';
import { COLLECTION, ErrorCode } from '../../constants';
import { KeywardError } from '../errors';

/**
 * Keys are reached through `apiKeys`' own actions only. A relation field from another collection
 * (users → keys, say) would let that collection's filters, sorts and appends reach the keys
 * where no guard of ours runs, so the collection manager may not create one.
 */
export function refuseFieldsToKeys(db: Database) {
  const refuse = (field: { get(name: string): unknown }) => {
    if (field.get('target') === COLLECTION || field.get('through') === COLLECTION) {
      throw new KeywardError(403, ErrorCode.ACTION_NOT_ALLOWED, 'No field of another collection may point at API keys.');
    }
  };
  db.on('fields.beforeCreate', refuse);
  db.on('fields.beforeUpdate', refuse);
}
