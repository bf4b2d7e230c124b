import { defineCollection } from '@nocobase/database';
import { COLLECTION, IP_MAX_LENGTH, NAME_MAX_LENGTH, TABLE } from '../../constants';

export default defineCollection({
  name: COLLECTION,
  // Our own table: the built-in plugin's `apiKeys` table (JWT rows) may still be in the database.
  tableName: TABLE,
  // Keys are personal credentials: back them up with the users, never copy them between apps.
  dumpRules: { group: 'user' },
  migrationRules: ['schema-only'],
  dataCategory: 'business',
  shared: true,
  createdBy: true,
  updatedBy: false,
  timestamps: true,
  fields: [
    { name: 'id', type: 'bigInt', autoIncrement: true, primaryKey: true, allowNull: false, interface: 'id' },
    { name: 'name', type: 'string', length: NAME_MAX_LENGTH, allowNull: false, interface: 'input' },
    // No FK constraint: a role or user that goes away leaves the key in place, refused with its own code.
    {
      name: 'role',
      type: 'belongsTo',
      target: 'roles',
      foreignKey: 'roleName',
      targetKey: 'name',
      constraints: false,
      interface: 'obo',
    },
    { name: 'hash', type: 'string', length: 64, allowNull: false, unique: true, hidden: true },
    { name: 'hint', type: 'string', allowNull: false },
    { name: 'expiresAt', type: 'date', allowNull: true, interface: 'datetime' },
    { name: 'enabled', type: 'boolean', allowNull: false, defaultValue: true, interface: 'checkbox' },
    // Taken over from the built-in plugin: the key is its JWT, and its hint starts `eyJ`.
    { name: 'imported', type: 'boolean', allowNull: false, defaultValue: false, interface: 'checkbox' },
    // Restrictions narrower than the role: where from, how often, and reads only. No default on
    // the JSON columns: SQLite's sync would see one as changed each time and rebuild the table,
    // dropping the (owner, name) index. A missing list means any address.
    { name: 'allowedIps', type: 'json', allowNull: true },
    { name: 'rateLimit', type: 'json', allowNull: true },
    { name: 'readOnly', type: 'boolean', allowNull: false, defaultValue: false, interface: 'checkbox' },
    { name: 'lastUsedAt', type: 'date', allowNull: true, interface: 'datetime' },
    { name: 'lastUsedIp', type: 'string', length: IP_MAX_LENGTH, allowNull: true },
  ],
});
