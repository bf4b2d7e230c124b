import type { Context } from '@nocobase/actions';
import { isObject } from './is-object';

/** The host's generic actions that write the values of the body. */
export const WRITES = new Set(['create', 'update', 'updateOrCreate', 'firstOrCreate']);

export interface WrittenField {
  type?: string;
  target?: string;
}

interface Collections {
  getCollection(name: string): { getField(name: string): WrittenField | undefined } | undefined;
}

/** One field's value in a body's records, at any depth of their associations. */
export interface WrittenValue {
  fieldName: string;
  field: WrittenField;
  value: unknown;
  /** The record that gives it, of `collection`: 0 for the body's own records, 1 for their associations' … */
  record: Record<string, unknown>;
  collection: string;
  depth: number;
  /** The relation whose value holds `record`; none for the body's own records. */
  via?: WrittenField;
}

/**
 * Every value a generic write's body gives a field of the collection (or of an association's
 * target, level by level through the associations' values), records in lists of any depth
 * taken one by one, as the host writes them. Nothing for other actions.
 */
export function* writtenValues(ctx: Context): Generator<WrittenValue> {
  const { resourceName, actionName, params } = ctx.action;
  if (!WRITES.has(actionName)) {
    return;
  }
  const collections = (ctx.dataSource?.collectionManager ?? ctx.db) as unknown as Collections;
  const [source, association] = resourceName.split('.');
  const start = association ? collections.getCollection(source)?.getField(association)?.target : source;
  // Level by level, as deep as the body (bounded before this runs).
  let level: [collection: string | undefined, values: unknown, via?: WrittenField][] = [[start, params.values]];
  for (let depth = 0; level.length; depth++) {
    const next: typeof level = [];
    for (const [name, values, via] of level) {
      const collection = name === undefined ? undefined : collections.getCollection(name);
      for (const record of [values].flat(Infinity)) {
        if (!collection || !isObject(record)) {
          continue;
        }
        for (const [fieldName, value] of Object.entries(record)) {
          const field = collection.getField(fieldName);
          if (field) {
            yield { fieldName, field, value, record, collection: name!, depth, via };
            if (field.target !== undefined) {
              next.push([field.target, value, field]);
            }
          }
        }
      }
    }
    level = next;
  }
}

/**
 * The first value of the body that the host fails on with a 500 rather than writing: an
 * `array` field's value that is no list (its sort hook calls `sort` on it), or a missing item in
 * a relation's list (the ACL's reading of association values dereferences each). Nothing is
 * written then; the request should say so.
 */
export function badValue(ctx: Context): string | undefined {
  for (const { fieldName, field, value } of writtenValues(ctx)) {
    const notAList = field.type === 'array' && value != null && !Array.isArray(value);
    const missingItem = field.target !== undefined && Array.isArray(value) && value.some((item) => item === null || item === undefined);
    if (notAList || missingItem) {
      return fieldName;
    }
  }
  return undefined;
}
