import { defineCollection } from '@nocobase/database';
import { USAGE_COLLECTION, USAGE_TABLE } from '../../constants';

/**
 * A key's requests per day and outcome (`ok`, or the code of the refusal), written in batches.
 * One row per (key, day, outcome), so nodes add to it with an atomic increment. Served only by
 * `apiKeys:usage`; the guard refuses every other action on it.
 */
export default defineCollection({
  name: USAGE_COLLECTION,
  tableName: USAGE_TABLE,
  dumpRules: { group: 'log' },
  migrationRules: ['schema-only'],
  shared: true,
  timestamps: false,
  fields: [
    { name: 'id', type: 'bigInt', autoIncrement: true, primaryKey: true, allowNull: false },
    { name: 'keyId', type: 'bigInt', allowNull: false },
    /** UTC day, `YYYY-MM-DD`. */
    { name: 'day', type: 'string', length: 10, allowNull: false },
    { name: 'outcome', type: 'string', length: 64, allowNull: false },
    { name: 'count', type: 'integer', allowNull: false, defaultValue: 0 },
  ],
});
