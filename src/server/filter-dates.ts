import type { Context, Next } from '@nocobase/actions';
import { createContextVariablesScope } from '@nocobase/server';
import { parseDate, parseFilter } from '@nocobase/utils';
import { createRequire } from 'module';
import { refusals, throwKeywardError } from './errors';
import { sentFilter } from './query-paths';

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

/**
 * Whether the host's date operators can use this value: its own `parseDate` gives them a date
 * or a range of two. Anything else fails inside the host (an `Invalid Date` error, a TypeError
 * deep in its range parser, a RangeError from its date library): a 500. A longer value is no
 * date, and the host's parser takes time in the square of its length.
 */
function readsAsDate(value: unknown, timezone: string | undefined): boolean {
  if (JSON.stringify(value ?? null).length > OPERAND_LIMIT) {
    return false;
  }
  try {
    const range: unknown = parseDate(value, { timezone });
    return typeof range === 'string' || (Array.isArray(range) && typeof range[0] === 'string' && typeof range[1] === 'string');
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

/** A failure of the database (loading a variable's value), not of the request's filter. */
const fromDatabase = (error: unknown) => /^Sequelize/.test(String((error as { name?: unknown } | null)?.name));

/**
 * On requests of ours, after the ACL and before the host fills in the filter's variables: a
 * date the request's own filter gives the host's date operators that they cannot read is a
 * 400, where the host fails with a 500, in its variable step (a relative date of an unknown
 * type, an `X-Timezone` it cannot use) or in the operator. The request's filter goes through
 * the host's own variable step, as it will (dates get the request's time zone, `{{$user.…}}`
 * its value), then each date operator's value through the host's own date parser, in the time
 * zone the operator uses for its field. The role's scope is the server's: it is not in the
 * request's filter, and its failures stay the host's.
 */
export function checkFilterDates(isOurs: (ctx: Context) => boolean) {
  return async function checkFilterDates(ctx: Context, next: Next) {
    const db = ctx.dataSource?.collectionManager?.db ?? ctx.db;
    // The variable step is the host's (exported by NocoBase 2.x): without it, nothing to mirror.
    const hostStep = typeof createContextVariablesScope === 'function';
    if (hostStep && ctx.action && db?.operators && ctx.querystring.includes('filter') && isOurs(ctx)) {
      const filter = sentFilter(ctx);
      if (filter !== null && typeof filter === 'object') {
        const scope = createContextVariablesScope(ctx);
        let readable: boolean;
        try {
          const filled = await parseFilter(filter, scope);
          readable = dateOperands(filled, db.operators).every(([path, value]) =>
            readsAsDate(value, operatorTimezone(scope.getField(path) as Field, db.options?.timezone)),
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
    }
    await next();
  };
}
