import type { Context, Next } from '@nocobase/actions';
import { refusals, throwKeywardError } from '../errors';
import { type Collections, reachesOurs } from './flow-context';
import { chartCollection } from './root-keys';

/**
 * For every request, a key's or a session's: no chart queries keys or their usage. The chart
 * plugin hands the names in its measures, dimensions, orders and filter to the database as they
 * come, and a database reads more in a name than a column: on PostgreSQL `row_to_json` or
 * `concat` after the table's name is a function of the whole row, and a `$apiKeys$` filter key
 * compares the whole row, hash and all. Keyward's own actions (`apiKeys:list`, `apiKeys:usage`)
 * answer what such a chart would, for the caller's own keys.
 */
export function refuseChartsOfKeys(ctx: Context, next: Next) {
  if (reachesOurs(ctx.db as unknown as Collections, chartCollection(ctx))) {
    throwKeywardError(ctx, refusals.actionNotAllowed());
  }
  return next();
}
