import type { Context, Next } from '@nocobase/actions';
import { COLLECTION } from '../../constants';
import { refusals, throwKeywardError } from '../errors';

/**
 * The columns of a key that `apiKeys:list` lets a caller filter, sort and select on: the key's
 * own, none secret. No association path (`role.users.email`, `createdBy.password`) and no
 * `hash`: a filter on those would answer through `meta.count`, one character at a time.
 */
export const LISTABLE_COLUMNS: ReadonlySet<string> = new Set([
  'id',
  'name',
  'roleName',
  'hint',
  'expiresAt',
  'enabled',
  'lastUsedAt',
  'createdById',
  'createdAt',
  'updatedAt',
]);

/** Comparisons on a single column with plain values; each is answered by the database itself. */
const OPERATORS: ReadonlySet<string> = new Set([
  '$eq',
  '$ne',
  '$in',
  '$notIn',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$includes',
  '$notIncludes',
  '$startsWith',
  '$endsWith',
  '$empty',
  '$notEmpty',
  '$exists',
  '$notExists',
  '$isTruly',
  '$isFalsy',
]);

const FILTER_MESSAGE = 'filter must be a JSON object.';
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

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function column(name: string, what: string): string {
  if (!LISTABLE_COLUMNS.has(name)) {
    throw refusals.badInput('{{what}} may only name these columns: {{columns}}.', {
      what,
      columns: [...LISTABLE_COLUMNS].join(', '),
    });
  }
  return name;
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
  if (isPlain(condition)) {
    return;
  }
  if (!isObject(condition) || !Object.keys(condition).length) {
    throw refusals.badInput('filter on {{name}} must compare it with plain values.', { name });
  }
  for (const [operator, value] of Object.entries(condition)) {
    const values = Array.isArray(value) ? value : [value];
    if (!OPERATORS.has(operator) || !values.every(isPlain)) {
      throw refusals.badInput('filter on {{name}} must compare it with plain values.', { name });
    }
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

const KEYS_PATH = new RegExp(`/${COLLECTION}(?:[:/]|$)`);

/**
 * The host's resourcer skips a request whose `filter` is not JSON and answers an empty 200;
 * on our resource that is a 400 saying why.
 */
export async function refuseUnreadableFilter(ctx: Context, next: Next) {
  const { filter } = ctx.query ?? {};
  if (filter !== undefined && KEYS_PATH.test(ctx.path)) {
    try {
      [filter].flat().forEach((value) => JSON.parse(String(value)));
    } catch {
      throwKeywardError(ctx, refusals.badInput(FILTER_MESSAGE));
    }
  }
  await next();
}
