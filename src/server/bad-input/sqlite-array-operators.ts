import type Database from '@nocobase/database';

type Operator = (value: unknown, ctx: unknown) => unknown;

/**
 * On SQLite, NocoBase 2.2.15 writes each value of `$anyOf` and `$noneOf` into its SQL between
 * quotes without escaping them (the other dialects escape). A filter value holding a quote
 * would run as SQL: any signed-in user who may filter a JSON field (`collections:list` on
 * `options`, for one) could read any table with yes/no questions, the keys' hashes and the
 * token blacklist included. The host's own operators are kept; each value reaches them as the
 * text the host would make of it, with its quotes doubled, which SQLite reads back as the same
 * text: the same filter, never SQL.
 */
export function escapeSqliteArrayOperators(db: Database) {
  if (db.sequelize.getDialect() !== 'sqlite') {
    return;
  }
  const escaped: Record<string, Operator> = {};
  for (const name of ['$anyOf', '$noneOf']) {
    const hostOperator = db.operators.get(name) as Operator | undefined;
    if (hostOperator) {
      escaped[name] = (value, ctx) =>
        hostOperator(
          // The host's castArray, then the text its template makes of each value.
          (Array.isArray(value) ? value : [value]).map((item) => `${item}`.replace(/'/g, "''")),
          ctx,
        );
    }
  }
  db.registerOperators(escaped);
}
