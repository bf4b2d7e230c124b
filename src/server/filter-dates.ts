import type { Context, Next } from '@nocobase/actions';
import { createContextVariablesScope } from '@nocobase/server';
import { parseDate, parseFilter } from '@nocobase/utils';
import { createRequire } from 'module';
import { refusals, throwKeywardError } from './errors';
import { isObject } from './is-object';
import { sentFilter } from './query-paths';

/**
 * The host's filter parser hands each function operator (`$dateOn`, …) its value by flattening
 * the filter and reading the operator's path back from the unflattened whole, with the `flat`
 * package it depends on. The same package, from the host, finds the same values here.
 */
const { flatten, unflatten } = createRequire(require.resolve('@nocobase/database'))('flat') as {
  flatten: (value: object) => Record<string, unknown>;
  unflatten: (value: object) => unknown;
};

type Operators = Map<string, unknown>;

/** The value at `path` in `whole`, through objects and lists. */
function at(whole: unknown, path: string[]): unknown {
  let node = whole;
  for (const step of path) {
    if (!isObject(node) && !Array.isArray(node)) {
      return undefined;
    }
    node = (node as Record<string, unknown>)[step];
  }
  return node;
}

/**
 * Whether the host's date operators can use this value: its own `parseDate` gives them a date
 * or a range of two. Anything else fails inside the host (an `Invalid Date` error, a TypeError
 * deep in its range parser, a RangeError from its date library): a 500.
 */
function readsAsDate(value: unknown, timezone: string | undefined): boolean {
  try {
    const range: unknown = parseDate(value, { timezone });
    return typeof range === 'string' || (Array.isArray(range) && typeof range[0] === 'string' && typeof range[1] === 'string');
  } catch {
    return false;
  }
}

/** The values a filter gives its date operators, found as the host's filter parser finds them. */
function dateOperands(filter: object, operators: Operators): unknown[] {
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
  return [...paths].map((path) => at(whole, path.split('.')));
}

/**
 * On requests of ours, after the ACL and before the host fills in the filter's variables: a
 * date the request's own filter gives the host's date operators that they cannot read is a
 * 400, where the host fails with a 500, in its variable step (a relative date of an unknown
 * type, an `X-Timezone` it cannot use) or in the operator. The request's filter goes through
 * the host's own variable step, as it will (dates get the request's time zone, `{{$user.…}}`
 * its value), then each date operator's value through the host's own date parser. The role's
 * scope is the server's: it is not in the request's filter, and its failures stay the host's.
 */
export function checkFilterDates(isOurs: (ctx: Context) => boolean) {
  return async function checkFilterDates(ctx: Context, next: Next) {
    const filter = ctx.action ? sentFilter(ctx) : undefined;
    const db = ctx.dataSource?.collectionManager?.db ?? ctx.db;
    // The variable step is the host's (exported by NocoBase 2.x): without it, nothing to mirror.
    const hostStep = typeof createContextVariablesScope === 'function';
    if (hostStep && isObject(filter) && JSON.stringify(filter).includes('$date') && db?.operators && isOurs(ctx)) {
      let readable: boolean;
      try {
        const filled = await parseFilter(filter, createContextVariablesScope(ctx));
        readable = dateOperands(filled, db.operators).every((value) => readsAsDate(value, db.options?.timezone));
      } catch {
        readable = false;
      }
      if (!readable) {
        throwKeywardError(ctx, refusals.badInput('A date in the filter is not one the server reads.'));
      }
    }
    await next();
  };
}
