import { KeywardError } from '../errors';
import { ErrorCode } from '../../constants';

/** Set on the one query that may read the hash: the key lookup. */
export const HASH_LOOKUP: unique symbol = Symbol('keywardHashLookup');
const HASH = 'hash';

type FindOptions = Record<string | symbol, any>;

const refusal = () =>
  new KeywardError(403, ErrorCode.ACTION_NOT_ALLOWED, 'The hash of an API key can be neither read nor queried.');

/**
 * Without case: SQLite and MySQL read `HASH` as the same column, and no other field has the name.
 * Without quotes: Sequelize takes them out of a name it is given (`"hash"`, `` `hash` ``,
 * `ha"sh`) before quoting it its own way, so each spelling reaches the column.
 */
const namesHash = (name: string) => /(^|[$.])hash\$?$/i.test(name.replace(/["`[\]]/g, ''));
const SKIPPED = new Set(['model', 'association', 'transaction', 'context', 'parent']);
/** `{ [Op.col]: 'hash' }` (a filter's `$col`) compares with a column: its value is a name, not data. */
const COLUMN_OPERATORS = new Set<string | symbol>([Symbol.for('col'), '$col']);

/**
 * Whether a query fragment names the column. In `where` objects the keys are column names and
 * string values are data, but for `Op.col`; in orders, groups and attribute lists strings are column names; in
 * Sequelize's col/fn/literal/where objects the column hides in `col`, `args`, `val`, `attribute`.
 */
function mentionsHash(value: unknown, stringsAreNames: boolean, depth = 0): boolean {
  // What is not looked at is not let through: a filter nested past this counts as naming it.
  if (depth > 32) {
    return true;
  }
  if (value === null || value === undefined) {
    return false;
  }
  if (typeof value === 'string') {
    return stringsAreNames && namesHash(value);
  }
  if (typeof value !== 'object') {
    return false;
  }
  if (Array.isArray(value)) {
    return value.some((item) => mentionsHash(item, stringsAreNames, depth + 1));
  }
  const kind = value.constructor?.name;
  const node = value as Record<string | symbol, unknown>;
  if (kind === 'Literal') {
    return typeof node.val === 'string' && /(^|[^\w$])hash([^\w$]|$)/i.test(node.val);
  }
  if (kind === 'Col') {
    return mentionsHash(node.col, true, depth + 1);
  }
  if (kind === 'Fn' || kind === 'Cast' || kind === 'Where') {
    return [node.args, node.val, node.attribute].some((part) => mentionsHash(part, true, depth + 1)) ||
      mentionsHash(node.logic, false, depth + 1);
  }
  return Reflect.ownKeys(node).some(
    (key) =>
      !SKIPPED.has(String(key)) &&
      ((typeof key === 'string' && namesHash(key)) || mentionsHash(node[key], COLUMN_OPERATORS.has(key), depth + 1)),
  );
}

/**
 * Deny by default at the storage layer: whatever host API reaches the model (charts, export,
 * workflow variables, association reads), `hash` is left out of what it selects, and a query
 * that names it in a condition, an order, a grouping or an expression is refused, so no API
 * can hand the hash out or answer questions about it. Only the key lookup says otherwise.
 */
export function guardHashColumn(model: {
  addHook(name: string, fn: (options: FindOptions) => void): void;
  aggregate(field: string, fn: string, options?: FindOptions): Promise<unknown>;
}) {
  // Sequelize runs no hook for aggregates (max, min, sum: a workflow's aggregate node).
  const aggregate = model.aggregate.bind(model);
  model.aggregate = (field, fn, options = {}) => {
    if (!options[HASH_LOOKUP] && (mentionsHash(field, true) || mentionsHash([options.where, options.having], false))) {
      return Promise.reject(refusal());
    }
    return aggregate(field, fn, options);
  };
  model.addHook('beforeFind', (options) => {
    if (options[HASH_LOOKUP]) {
      return;
    }
    const { where, order, group, having, attributes } = options;
    if (mentionsHash(where, false) || mentionsHash([order, group], true) || mentionsHash(having, false)) {
      throw refusal();
    }
    if (attributes === undefined) {
      options.attributes = { exclude: [HASH] };
    } else if (Array.isArray(attributes)) {
      if (mentionsHash(attributes, true)) {
        throw refusal();
      }
    } else {
      if (mentionsHash(attributes.include, true)) {
        throw refusal();
      }
      options.attributes = { ...attributes, exclude: [...(attributes.exclude ?? []), HASH] };
    }
  });
  model.addHook('beforeCount', (options) => {
    if (!options[HASH_LOOKUP] && (mentionsHash([options.where, options.having], false) || mentionsHash(options.group, true))) {
      throw refusal();
    }
  });
}
