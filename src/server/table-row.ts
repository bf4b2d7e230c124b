/**
 * A decision table's row for a name the caller sent: only the table's own rows, so a name such
 * as `constructor` or `__proto__` finds none of Object's.
 */
export const rowOf = <T>(table: Record<string, T>, name: unknown): T | undefined =>
  typeof name === 'string' && Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
