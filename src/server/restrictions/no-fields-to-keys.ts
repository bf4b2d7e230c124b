import type Database from '@nocobase/database';
import { COLLECTION, ErrorCode, USAGE_COLLECTION } from '../../constants';
import { KeywardError } from '../errors';

/**
 * Keys and their usage are reached through `apiKeys`' own actions only. A relation field from
 * another collection (users → keys, say) would let that collection's filters, sorts, appends
 * and chart measures reach them where no guard of ours runs (Sequelize runs no find hook on a
 * model it only joins), so the collection manager may not create one.
 */
export function refuseFieldsToKeys(db: Database) {
  const refuse = (field: { get(name: string): unknown }) => {
    const reached = [field.get('target'), field.get('through')];
    if (reached.includes(COLLECTION) || reached.includes(USAGE_COLLECTION)) {
      throw new KeywardError(403, ErrorCode.ACTION_NOT_ALLOWED, 'No field of another collection may point at API keys.');
    }
  };
  db.on('fields.beforeCreate', refuse);
  db.on('fields.beforeUpdate', refuse);
}
