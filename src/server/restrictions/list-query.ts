import type { Context, Next } from '@nocobase/actions';
import { COLLECTION } from '../../constants';
import { refusals, throwKeywardError } from '../errors';
import { isRecordId } from '../record-id';
import { isObject } from '../is-object';

type ColumnType = 'integer' | 'string' | 'boolean' | 'date';

/**
 * The columns of a key that `apiKeys:list` lets a caller filter, sort and select on: the key's
 * own, none secret, with the type a value compared with each must have. No association path
 * (`role.users.email`, `createdBy.password`) and no `hash`: a filter on those would answer
 * through `meta.count`, one character at a time.
 */
export const LISTABLE_COLUMNS: Readonly<Record<string, ColumnType>> = {
  id: 'integer',
  name: 'string',
  roleName: 'string',
  hint: 'string',
  expiresAt: 'date',
  enabled: 'boolean',
  imported: 'boolean',
  readOnly: 'boolean',
  lastUsedAt: 'date',
  createdById: 'integer',
  createdAt: 'date',
  updatedAt: 'date',
};

const fitsType: Record<ColumnType, (value: unknown) => boolean> = {
  integer: (value) => /^-?\d{1,16}$/.test(String(value)) && ['string', 'number'].includes(typeof value),
  string: (value) => typeof value === 'string',
  boolean: (value) => typeof value === 'boolean',
  date: (value) => (typeof value === 'string' || typeof value === 'number') && !Number.isNaN(new Date(value).getTime()),
};

/**
 * Comparisons on a single column, by what they take: a value of the column's type (null too,
 * for equality), text on a text column, nothing that matters (presence tests), or a truth test
 * of a boolean column (the host compares the column with true: PostgreSQL refuses that for any
 * other type, where SQLite compares text or dates with 1).
 */
const OPERATORS: Readonly<Record<string, 'value' | 'text' | 'presence' | 'truth'>> = {
  $eq: 'value',
  $ne: 'value',
  $in: 'value',
  $notIn: 'value',
  $gt: 'value',
  $gte: 'value',
  $lt: 'value',
  $lte: 'value',
  $includes: 'text',
  $notIncludes: 'text',
  $startsWith: 'text',
  $endsWith: 'text',
  $empty: 'presence',
  $notEmpty: 'presence',
  $exists: 'presence',
  $notExists: 'presence',
  $isTruly: 'truth',
  $isFalsy: 'truth',
};

const FILTER_MESSAGE = 'filter must be a JSON object.';
export const FILTER_BY_TK_MESSAGE = 'filterByTk must name one or more API keys by id.';
const LOGICAL = new Set(['$and', '$or']);
const MAX_DEPTH = 8;
const PAGE_SIZE_MAX = 200;

type Plain = string | number | boolean | null;

export interface ListQuery {
  filter?: Record<string, unknown>;
  sort: string[];
  fields?: string[];
  page: number;
  pageSize: number;
}

const isPlain = (value: unknown): value is Plain =>
  value === null || ['string', 'number', 'boolean'].includes(typeof value);

function column(name: string, what: string): string {
  if (!Object.prototype.hasOwnProperty.call(LISTABLE_COLUMNS, name)) {
    throw refusals.badInput('{{what}} may only name these columns: {{columns}}.', {
      what,
      columns: Object.keys(LISTABLE_COLUMNS).join(', '),
    });
  }
  return name;
}

function fits(name: string, operator: string, value: unknown): boolean {
  const type = LISTABLE_COLUMNS[name];
  const takes = OPERATORS[operator];
  if (takes === 'presence') {
    return isPlain(value);
  }
  if (takes === 'truth') {
    return type === 'boolean' && isPlain(value);
  }
  if (takes === 'text') {
    return type === 'string' && typeof value === 'string';
  }
  const values = Array.isArray(value) && (operator === '$in' || operator === '$notIn') ? value : [value];
  return values.every((item) => (item === null && (operator === '$eq' || operator === '$ne')) || fitsType[type](item));
}

/** `filter` arrives as JSON in the query string or as an object in a POST body. */
function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') {
    return value;
  }
  try {
    return JSON.parse(value);
  } catch {
    throw refusals.badInput(FILTER_MESSAGE);
  }
}

function checkCondition(name: string, condition: unknown) {
  column(name, 'filter');
  const comparisons = isObject(condition) ? Object.entries(condition) : [['$eq', condition] as const];
  const valid =
    comparisons.length > 0 &&
    comparisons.every(
      ([operator, value]) => Object.prototype.hasOwnProperty.call(OPERATORS, operator) && fits(name, operator, value),
    );
  if (!valid) {
    throw refusals.badInput('filter on {{name}} must compare it with values of its type.', { name });
  }
}

function checkFilter(filter: unknown, depth = 0): void {
  if (!isObject(filter) || depth > MAX_DEPTH) {
    throw refusals.badInput(FILTER_MESSAGE);
  }
  for (const [key, value] of Object.entries(filter)) {
    if (LOGICAL.has(key)) {
      if (!Array.isArray(value)) {
        throw refusals.badInput(FILTER_MESSAGE);
      }
      value.forEach((branch) => checkFilter(branch, depth + 1));
    } else {
      checkCondition(key, value);
    }
  }
}

function list(value: unknown): string[] {
  if (value === undefined || value === null || value === '') {
    return [];
  }
  const items = [value].flat().flatMap((item) => (typeof item === 'string' ? item.split(',') : [item]));
  if (!items.every((item) => typeof item === 'string')) {
    throw refusals.badInput('sort and fields must be column names.');
  }
  return items.map((item: string) => item.trim()).filter(Boolean);
}

function positiveInteger(value: unknown, fallback: number, max: number, what: string): number {
  if (value === undefined || value === null || value === '') {
    return fallback;
  }
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 1 || number > max) {
    throw refusals.badInput('{{what}} must be a whole number from 1 to {{max}}.', { what, max });
  }
  return number;
}

/**
 * Reads `filter`, `sort`, `fields`, `page` and `pageSize` of an `apiKeys:list` request and
 * refuses anything beyond a key's own listable columns. Other parameters (`appends`, `except`,
 * `filterByTk`, …) are ignored: the action decides what it appends.
 */
export function parseListQuery(params: Record<string, unknown>): ListQuery {
  const filter = parseJson(params.filter);
  if (filter !== undefined && filter !== null && filter !== '') {
    checkFilter(filter);
  }
  const sort = list(params.sort).map((item) => {
    column(item.replace(/^-/, ''), 'sort');
    return item;
  });
  const fields = list(params.fields).map((item) => column(item, 'fields'));
  return {
    filter: isObject(filter) && Object.keys(filter).length ? filter : undefined,
    sort: sort.length ? sort : ['-createdAt'],
    fields: fields.length ? fields : undefined,
    page: positiveInteger(params.page, 1, Number.MAX_SAFE_INTEGER, 'page'),
    pageSize: positiveInteger(params.pageSize, 20, PAGE_SIZE_MAX, 'pageSize'),
  };
}

/**
 * The filter with every backslash in a text comparison's value doubled, for the databases whose
 * LIKE takes a backslash as its escape (PostgreSQL, MySQL): the host escapes `%` and `_` with
 * one but leaves a backslash of the value as it is, so there `C:\keys` would look for `C:keys`
 * and a value ending in a backslash would be refused. SQLite's LIKE has no escape character.
 */
export function withLiteralBackslashes(filter: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(filter).map(([key, value]) => {
      if (LOGICAL.has(key) && Array.isArray(value)) {
        return [key, value.map((branch) => withLiteralBackslashes(branch))];
      }
      if (!isObject(value)) {
        return [key, value];
      }
      const comparisons = Object.entries(value).map(([operator, operand]) => [
        operator,
        OPERATORS[operator] === 'text' && typeof operand === 'string' ? operand.replace(/\\/g, '\\\\') : operand,
      ]);
      return [key, Object.fromEntries(comparisons)];
    }),
  );
}

// `/apiKeys:<action>` and REST's `/apiKeys/<id>`; association paths are the guard's to refuse.
const KEYS_PATH = new RegExp(`/${COLLECTION}(?::\\w+|/[^/:]*)?$`);
const WRITE_PATH = new RegExp(`/${COLLECTION}:(?:update|destroy)$`);
const FILTER_BY_TK = /^filterByTk(?:\[\d*\])?$/;

/**
 * Checks the query string of requests to our resource before the host parses it: its
 * resourcer skips a request whose `filter` is not JSON (an empty 200), and its filter
 * validation and ACL answer a missing or malformed `filterByTk` with a 500.
 */
export async function checkKeysQuery(ctx: Context, next: Next) {
  if (KEYS_PATH.test(ctx.path)) {
    const query = ctx.query ?? {};
    try {
      [query.filter ?? []].flat().forEach((value) => JSON.parse(String(value)));
    } catch {
      throwKeywardError(ctx, refusals.badInput(FILTER_MESSAGE));
    }
    const ids = Object.keys(query)
      .filter((name) => FILTER_BY_TK.test(name))
      .flatMap((name) => [query[name]].flat());
    if (!ids.every(isRecordId) || (WRITE_PATH.test(ctx.path) && !ids.length)) {
      throwKeywardError(ctx, refusals.badInput(FILTER_BY_TK_MESSAGE));
    }
  }
  await next();
}
