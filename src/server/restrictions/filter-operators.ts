import { getDateVars } from '@nocobase/utils';
import { type KeywardError, refusals } from '../errors';
import { isObject } from '../is-object';
import { FILTER_NAMES_LIMIT, names, TEMPLATE } from '../query-paths';
import { rowOf } from '../table-row';

/** What an operator takes: each kind is one test and one message. */
type Operand = 'any' | 'value' | 'values' | 'list' | 'range' | 'text' | 'texts' | 'textsOrNull' | 'nullOrBoolean' | 'filters';

interface OperatorRow {
  operand: Operand;
  /** The dialects that have it; every one when not given. */
  dialects?: readonly string[];
  reason: string;
}

/**
 * The filter operators a request made with a key may use, and what each takes. Deny by default:
 * the host also passes on every operator of Sequelize's, some of which reach past the filter's
 * values (`$col` compares with another column, a hidden one such as a password hash included;
 * `$placeholder`, `$join`, `$values`, `$any`, `$all` build SQL) or exist on one dialect only,
 * and an operand of another shape fails deep in the host with a 500.
 */
export const FILTER_OPERATORS: Readonly<Record<string, OperatorRow>> = {
  $and: { operand: 'filters', reason: 'all of its filters' },
  $or: { operand: 'filters', reason: 'any of its filters' },
  $not: { operand: 'any', reason: 'the opposite of a filter, or IS NOT for null and booleans (its filter is checked too)' },
  $eq: { operand: 'values', reason: 'equal, or one of a list' },
  $ne: { operand: 'values', reason: 'not equal, or none of a list' },
  $in: { operand: 'values', reason: 'one of a list' },
  $notIn: { operand: 'list', reason: 'none of a list' },
  $includes: { operand: 'textsOrNull', reason: 'contains the text (null: is empty)' },
  $notIncludes: { operand: 'textsOrNull', reason: 'does not contain the text (null: is not empty)' },
  $startsWith: { operand: 'texts', reason: 'starts with the text' },
  $notStartsWith: { operand: 'texts', reason: 'does not start with the text' },
  $endWith: { operand: 'texts', reason: 'ends with the text' },
  $notEndWith: { operand: 'texts', reason: 'does not end with the text' },
  $empty: { operand: 'any', reason: 'is empty (the value is not read)' },
  $notEmpty: { operand: 'any', reason: 'is not empty (the value is not read)' },
  $exists: { operand: 'any', reason: 'the association has a row (the value is not read)' },
  $notExists: { operand: 'any', reason: 'the association has no row (the value is not read)' },
  $isTruly: { operand: 'any', reason: 'is true' },
  $isFalsy: { operand: 'any', reason: 'is false or empty' },
  $anyOf: { operand: 'values', reason: 'a list field holds any of the values' },
  $noneOf: { operand: 'values', reason: 'a list field holds none of the values' },
  $match: { operand: 'list', reason: 'a list field holds exactly the values' },
  $notMatch: { operand: 'list', reason: 'a list field does not hold exactly the values' },
  $arrayEmpty: { operand: 'any', reason: 'a list field is empty (the value is not read)' },
  $arrayNotEmpty: { operand: 'any', reason: 'a list field is not empty (the value is not read)' },
  $dateOn: { operand: 'any', reason: 'a date; its value is checked where dates are (filter-dates.ts)' },
  $dateNotOn: { operand: 'any', reason: 'a date; checked where dates are' },
  $dateBefore: { operand: 'any', reason: 'a date; checked where dates are' },
  $dateNotBefore: { operand: 'any', reason: 'a date; checked where dates are' },
  $dateAfter: { operand: 'any', reason: 'a date; checked where dates are' },
  $dateNotAfter: { operand: 'any', reason: 'a date; checked where dates are' },
  $dateBetween: { operand: 'any', reason: 'a date range; checked where dates are' },
  $childIn: { operand: 'texts', dialects: ['postgres'], reason: 'rows of inheriting collections (PostgreSQL tables only)' },
  $childNotIn: { operand: 'texts', dialects: ['postgres'], reason: 'rows of inheriting collections (PostgreSQL tables only)' },
  $gt: { operand: 'value', reason: 'greater than' },
  $gte: { operand: 'value', reason: 'greater than or equal' },
  $lt: { operand: 'value', reason: 'less than' },
  $lte: { operand: 'value', reason: 'less than or equal' },
  $between: { operand: 'range', reason: 'between two values' },
  $notBetween: { operand: 'range', reason: 'outside two values' },
  $like: { operand: 'text', reason: 'a LIKE pattern' },
  $notLike: { operand: 'text', reason: 'a LIKE pattern' },
  $iLike: { operand: 'text', dialects: ['postgres'], reason: 'a case-blind LIKE pattern (PostgreSQL only)' },
  $notILike: { operand: 'text', dialects: ['postgres'], reason: 'a case-blind LIKE pattern (PostgreSQL only)' },
  $is: { operand: 'nullOrBoolean', reason: 'IS null, true or false' },
};

/** A whole variable (`{{$user.id}}`, its name captured), which the host fills in after the checks. */
const variable = (value: unknown) => typeof value === 'string' && TEMPLATE.test(value);

/**
 * The variables a key's filter may name, by their first name, and what may follow it. Deny by
 * default: the host also fills in `ctx.state` (the request's state, which its errors then
 * print), objects (`{{$nDate}}`), and follows any property of what it loaded, a model's
 * `constructor` and the app behind it included, calling what is a function.
 */
export const FILTER_VARIABLES: Readonly<Record<string, { then: 'fields' | 'dateName' | 'now' | 'nothing'; reason: string }>> = {
  $user: { then: 'fields', reason: "the owner's own fields, each a field of the one before (a hidden one, or a whole row, is refused: secret-reads.ts)" },
  $nRole: { then: 'nothing', reason: "the key's role" },
  $nDate: { then: 'dateName', reason: 'one named date: `$nDate.today`, `$nDate.lastWeek`, …' },
  $date: { then: 'dateName', reason: 'one named date (the older name)' },
  $system: { then: 'now', reason: '`$system.now` (the older name)' },
};

/** The names of the dates the host fills in (`today`, `lastWeek`, …). */
const DATE_NAMES = new Set(Object.keys(getDateVars()));

/** The name of the first whole variable in a value, at any depth, that `allowed` refuses. */
function refusedVariable(value: unknown, allowed: (root: string, path: string[]) => boolean, depth = 0): string | undefined {
  if (typeof value === 'string') {
    const name = TEMPLATE.exec(value)?.[1].trim();
    if (name === undefined) {
      return undefined;
    }
    const [root, ...path] = name.split('.');
    return allowed(root, path) ? undefined : name;
  }
  if (typeof value !== 'object' || value === null || depth > FILTER_NAMES_LIMIT + 1) {
    return undefined;
  }
  for (const item of Object.values(value)) {
    const refused = refusedVariable(item, allowed, depth + 1);
    if (refused !== undefined) {
      return refused;
    }
  }
  return undefined;
}

/** Whether a variable is one of {@link FILTER_VARIABLES}, followed by what its row allows. */
function listedVariable(root: string, path: string[], isUserPath: (path: string[]) => boolean): boolean {
  const then = rowOf(FILTER_VARIABLES, root)?.then;
  return (
    (then === 'nothing' && !path.length) ||
    (then === 'now' && path.length === 1 && path[0] === 'now') ||
    (then === 'dateName' && path.length === 1 && DATE_NAMES.has(path[0])) ||
    (then === 'fields' && isUserPath(path))
  );
}

/**
 * The first variable in the filters that a key may not name, as a refusal. `isFieldPath` tells
 * whether names are fields of the owner's collection, each of the one before (hidden fields and
 * whole rows are refused as secret reads).
 */
export function badFilterVariable(value: unknown, isFieldPath: (path: string[]) => boolean): KeywardError | undefined {
  const refused = refusedVariable(value, (root, path) => listedVariable(root, path, isFieldPath));
  return refused === undefined
    ? undefined
    : refusals.badInput('API keys filter with the variables listed in README; {{name}} is not one of them.', { name: refused.slice(0, 100) });
}

/**
 * For every request, a session's too: a variable other than those of {@link FILTER_VARIABLES}
 * (with `$user` reaching a visible column only) and the older `ctx.state.currentUser.<column>`
 * and `ctx.state.currentRole`. The host follows any property of what a variable names, a
 * model's `constructor` and the app behind it included, calls what is a function, and prints
 * what it reaches in its 500: another user's row, the database's settings, the secret that
 * signs every session.
 */
export function badUserVariable(value: unknown, isColumnPath: (path: string[]) => boolean): KeywardError | undefined {
  const refused = refusedVariable(
    value,
    (root, path) =>
      listedVariable(root, path, isColumnPath) ||
      (root === 'ctx' &&
        path[0] === 'state' &&
        ((path[1] === 'currentUser' && isColumnPath(path.slice(2))) || (path[1] === 'currentRole' && path.length === 2))),
  );
  return refused === undefined ? undefined : refusals.badInput('The variable {{name}} is not one a filter may name.', { name: refused.slice(0, 100) });
}

const single = (value: unknown) => value === null || ['string', 'number', 'boolean'].includes(typeof value);
const listOf = (test: (item: unknown) => boolean) => (value: unknown) => Array.isArray(value) && value.every(test);
const text = (value: unknown) => typeof value === 'string';

const OPERANDS: Readonly<Record<Operand, { takes: (value: unknown) => boolean; message: string }>> = {
  any: { takes: () => true, message: '' },
  value: { takes: single, message: '{{name}} takes one value: text, a number, true, false or null.' },
  values: { takes: (value) => single(value) || listOf(single)(value), message: '{{name}} takes a value or a list of values.' },
  list: { takes: listOf(single), message: '{{name}} takes a list of values.' },
  range: { takes: (value) => listOf(single)(value) && (value as unknown[]).length === 2, message: '{{name}} takes a list of two values.' },
  text: { takes: text, message: '{{name}} takes text.' },
  texts: { takes: (value) => text(value) || listOf(text)(value), message: '{{name}} takes text or a list of text.' },
  // Only `$includes` and `$notIncludes` read null (as empty); the other text operators fail on it.
  textsOrNull: { takes: (value) => value === null || text(value) || listOf(text)(value), message: '{{name}} takes text or a list of text.' },
  nullOrBoolean: { takes: (value) => value === null || typeof value === 'boolean', message: '{{name}} takes null, true or false.' },
  filters: { takes: (value) => isObject(value) || listOf(isObject)(value), message: '{{name}} takes a list of filters.' },
};

/** The database a filter runs on: its dialect and the operators it has. */
export interface FilterDatabase {
  dialect: string;
  operators: Map<string, unknown>;
}

/** Whether the operator is one a key may use on this database. */
const hasRow = (name: string, database: FilterDatabase) => {
  const row = rowOf(FILTER_OPERATORS, name);
  return row !== undefined && (!row.dialects || row.dialects.includes(database.dialect));
};

const notAvailable = (name: string) =>
  refusals.badInput('API keys filter with the operators listed in README; {{name}} is not one of them.', { name: name.slice(0, 100) });

/**
 * The first operator in a filter a key may not use, or whose value is not of the shape it takes,
 * as a refusal. Walks field paths (dotted or nested) and logical groups; an operator's own value
 * is only tested, except `$and`, `$or` and `$not`, whose filters are walked too.
 */
export function badFilterOperator(filter: unknown, database: FilterDatabase, depth = 0): KeywardError | undefined {
  if (!isObject(filter) && !Array.isArray(filter)) {
    return undefined;
  }
  // What is not walked is not let through.
  if (depth > FILTER_NAMES_LIMIT) {
    return refusals.badInput('The filter nests or chains more than {{limit}} names.', { limit: FILTER_NAMES_LIMIT });
  }
  for (const [key, value] of Object.entries(filter)) {
    const parts = names([key]);
    // The host's merge of the role's parameters drops these, and the filter with them.
    const inherited = parts.find((part) => part in Object.prototype);
    if (inherited !== undefined) {
      return refusals.badInput('The query names a field or operator that does not exist: {{name}}.', { name: inherited });
    }
    const at = parts.findIndex((part) => part.startsWith('$') && hasRow(part, database));
    const unlisted = parts.find((part) => part.startsWith('$') && database.operators.has(part) && !hasRow(part, database));
    if (unlisted !== undefined && (at === -1 || parts.indexOf(unlisted) < at)) {
      return notAvailable(unlisted);
    }
    if (at === -1) {
      // A field's path, or a name the host does not have (named as unknown after the ACL, see
      // unknown-names.ts; Sequelize reads `$a.b$` as a column): what it holds is walked too.
      const refusal = badFilterOperator(value, database, depth + 1);
      if (refusal) {
        return refusal;
      }
      continue;
    }
    const name = parts[at];
    const row = FILTER_OPERATORS[name];
    // The rest of a dotted key is inside the operator's value (`createdAt.$dateOn.type`).
    const operand = at === parts.length - 1 ? value : { [parts.slice(at + 1).join('.')]: value };
    const { takes, message } = OPERANDS[row.operand];
    if (!(variable(operand) && row.operand !== 'filters') && !takes(operand)) {
      return refusals.badInput(message, { name });
    }
    if (name === '$and' || name === '$or' || name === '$not') {
      const refusal = badFilterOperator(operand, database, depth + 1);
      if (refusal) {
        return refusal;
      }
    }
  }
  return undefined;
}
