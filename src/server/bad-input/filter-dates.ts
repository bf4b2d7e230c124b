import type { Context, Next } from '@nocobase/actions';
import { createContextVariablesScope } from '@nocobase/server';
import { parseDate, parseFilter } from '@nocobase/utils';
import { createRequire } from 'module';
import { refusals, throwKeywardError } from '../errors';
import { BODY_FILTERS, chartQuery, sentFilter, type Params } from '../query-paths';
import { rowOf } from '../table-row';

/**
 * The host's filter parser hands each function operator (`$dateOn`, …) its value by flattening
 * the filter and reading the operator's path back from the unflattened whole, with the `flat`
 * package and lodash's `get` (which reads brackets and quotes in a path). The same modules,
 * from the host, find the same values here.
 */
const hostRequire = createRequire(require.resolve('@nocobase/database'));
const { flatten, unflatten } = hostRequire('flat') as {
  flatten: (value: object) => Record<string, unknown>;
  unflatten: (value: object) => object;
};
const { get } = hostRequire('lodash') as { get: (value: object, path: string) => unknown };

type Operators = Map<string, unknown>;
type Field = { type?: unknown; constructor?: { name?: unknown } } | undefined;

/** A date operand is a date, a range or a relative date: this much JSON at most, well past any. */
const OPERAND_LIMIT = 256;

/** The years a database takes in a date column, where it takes fewer than JavaScript's dates. */
const YEARS: Record<string, [first: number, last: number]> = {
  // No year 0, and a year before it is no date PostgreSQL reads.
  postgres: [1, Infinity],
  // DATETIME's range.
  mysql: [1000, 9999],
  mariadb: [1000, 9999],
};

/** Which ends of a range each date operator reads; one row per operator. */
const RANGE_ENDS: Record<string, number[]> = {
  $dateOn: [0, 1],
  $dateNotOn: [0, 1],
  $dateBefore: [0],
  $dateNotBefore: [0],
  $dateAfter: [1],
  $dateNotAfter: [1],
  // It reads the first two items of whatever it gets: a single instant's first two characters.
  $dateBetween: [0, 1],
};

/**
 * Whether the host's date operator can use this value: its own `parseDate` gives it an instant
 * or a range, and each instant the operator reads is a date the database takes. Anything else
 * fails inside the host (an `Invalid Date` error, a TypeError deep in its range parser, a
 * RangeError from its date library) or in the database: a 500. A longer value is no date, and
 * the host's parser takes time in the square of its length.
 */
function readsAsDate(operator: string, value: unknown, timezone: string | undefined, [first, last]: [number, number]): boolean {
  if (JSON.stringify(value ?? null).length > OPERAND_LIMIT) {
    return false;
  }
  const storable = (instant: unknown) => {
    const year = typeof instant === 'string' ? new Date(instant).getUTCFullYear() : NaN;
    return year >= first && year <= last;
  };
  try {
    const range: unknown = parseDate(value, { timezone });
    const ends = RANGE_ENDS[operator] ?? [0, 1];
    if (Array.isArray(range) || (operator === '$dateBetween' && typeof range === 'string')) {
      return ends.every((end) => storable((range as string | string[])[end]));
    }
    return storable(range);
  } catch {
    return false;
  }
}

/** The time zone the host's date operators read a field's dates in: UTC for dates without one. */
function operatorTimezone(field: Field, timezone: string | undefined): string | undefined {
  const withoutZone = ['dateOnly', 'datetimeNoTz'].includes(field?.type as string) || ['DateOnlyField', 'DatetimeNoTzField'].includes(field?.constructor?.name as string);
  return withoutZone ? '+00:00' : timezone;
}

/** The paths of a filter's date operators and their values, found as the host's filter parser finds them. */
function dateOperands(filter: object, operators: Operators): [path: string, value: unknown][] {
  const whole = unflatten(filter);
  const paths = new Set<string>();
  for (const key of Object.keys(flatten(filter))) {
    const parts = key.split('.');
    // The first function operator on the path takes the value below it.
    const end = parts.findIndex((part) => typeof operators.get(part) === 'function');
    if (end !== -1 && parts[end].startsWith('$date')) {
      paths.add(parts.slice(0, end + 1).join('.'));
    }
  }
  return [...paths].map((path) => [path, get(whole, path)]);
}

type Scope = ReturnType<typeof createContextVariablesScope>;

/** A failure of the database (loading a variable's value), not of the request's filter. */
const fromDatabase = (error: unknown) => /^Sequelize/.test(String((error as { name?: unknown } | null)?.name));

/**
 * The filter the host will parse for this request, from what the request sent: the query
 * string's or a chart's through the host's own variable step, as the host will fill it in
 * (dates get the request's time zone, `{{$user.…}}` its value); or the body's, as it is. The
 * role's scope, which the ACL adds, is the server's: it is in none.
 */
async function requestFilter(ctx: Context, fromBody: ((params: Params) => unknown) | undefined, scope: Scope): Promise<unknown> {
  if (fromBody) {
    return fromBody(ctx.action.params);
  }
  const filter = chartQuery(ctx) ? ctx.action.params.values?.filter : sentFilter(ctx);
  return filter !== null && typeof filter === 'object' && mayNameDate(filter) ? parseFilter(filter, scope) : undefined;
}

/**
 * Whether a filter can name a date operator at all: a key with `$date` in it, or with the
 * brackets and escapes lodash reads a path through (`x["$d\\ateOn"]`). Any other filter skips
 * the host's variable step here, and the user lookup a `{{$user.…}}` in it would cost twice.
 */
const mayNameDate = (filter: object) => Object.keys(flatten(filter)).some((key) => /\$date|[[\\]/.test(key));

/**
 * On requests of ours, after the ACL and before the host's variable step: a date the request
 * gives the host's date operators that they cannot read is a 400, where the host fails with a
 * 500 (in its variable step: a relative date of an unknown type, an `X-Timezone` it cannot use;
 * in the operator; in the database). Each date operator's value goes through the host's own
 * date parser, in the time zone the operator uses for its field.
 */
export function checkFilterDates(isOurs: (ctx: Context) => boolean) {
  return async function checkFilterDates(ctx: Context, next: Next) {
    const db = ctx.dataSource?.collectionManager?.db ?? ctx.db;
    const actionName = ctx.action?.actionName;
    const fromBody = rowOf(BODY_FILTERS, actionName);
    // The variable step is the host's (exported by NocoBase 2.x): without it, nothing to mirror.
    const hostStep = typeof createContextVariablesScope === 'function';
    // The action's filter holds the request's, when it sent one (and the role's scope).
    const filtered = fromBody !== undefined || ctx.action?.params.filter != null || (ctx.action !== undefined && chartQuery(ctx));
    if (hostStep && filtered && db?.operators && isOurs(ctx)) {
      let readable: boolean;
      try {
        const scope = createContextVariablesScope(ctx);
        // SQLite keeps dates as text: any year.
        const years = YEARS[db.sequelize?.getDialect?.() as string] ?? [-Infinity, Infinity];
        const filter = await requestFilter(ctx, fromBody, scope);
        readable =
          filter === null ||
          typeof filter !== 'object' ||
          dateOperands(filter, db.operators).every(([path, value]) =>
            readsAsDate(path.slice(path.lastIndexOf('.') + 1), value, operatorTimezone(scope.getField(path) as Field, db.options?.timezone), years),
          );
      } catch (error) {
        if (fromDatabase(error)) {
          throw error;
        }
        readable = false;
      }
      if (!readable) {
        throwKeywardError(ctx, refusals.badInput('A date in the filter is not one the server reads.'));
      }
    }
    await next();
  };
}
