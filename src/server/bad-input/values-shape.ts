import type { Context } from '@nocobase/actions';
import { isObject } from '../is-object';

/** The host's generic actions that write the values of the body. */
const WRITES = new Set(['create', 'update', 'updateOrCreate', 'firstOrCreate']);

interface FieldLike {
  type?: string;
  target?: string;
}

interface Collections {
  getCollection(name: string): { getField(name: string): FieldLike | undefined } | undefined;
}

/**
 * The first value of the body, at any depth of its associations, that the host fails on with a
 * 500 rather than writing: an `array` field's value that is no list (its sort hook calls
 * `sort` on it), or a missing item in a relation's list (the ACL's reading of association
 * values dereferences each). Nothing is written then; the request should say so.
 */
export function badValue(ctx: Context): string | undefined {
  const { resourceName, actionName, params } = ctx.action;
  if (!WRITES.has(actionName)) {
    return undefined;
  }
  const collections = (ctx.dataSource?.collectionManager ?? ctx.db) as unknown as Collections;
  const [source, association] = resourceName.split('.');
  const start = association ? collections.getCollection(source)?.getField(association)?.target : source;
  // Level by level, as deep as the body (bounded before this runs).
  let level: [collection: string | undefined, values: unknown][] = [[start, params.values]];
  while (level.length) {
    const next: typeof level = [];
    for (const [name, values] of level) {
      const collection = name === undefined ? undefined : collections.getCollection(name);
      // A list of records, however nested: the host writes each.
      for (const record of [values].flat(Infinity)) {
        if (!collection || !isObject(record)) {
          continue;
        }
        for (const [fieldName, value] of Object.entries(record)) {
          const field = collection.getField(fieldName);
          if (field?.type === 'array' && value != null && !Array.isArray(value)) {
            return fieldName;
          }
          if (field?.target !== undefined) {
            if (Array.isArray(value) && value.some((item) => item === null || item === undefined)) {
              return fieldName;
            }
            next.push([field.target, value]);
          }
        }
      }
    }
    level = next;
  }
  return undefined;
}
