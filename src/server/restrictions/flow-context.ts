import type { Context, Next } from '@nocobase/actions';
import { COLLECTION, USAGE_COLLECTION } from '../../constants';
import { refusals, throwKeywardError } from '../errors';
import { isObject } from '../is-object';

/**
 * The flow engine fills a page's variable templates (`variables:resolve`, a chart's query with
 * `rd`) from records the request names in `contextParams`: any object there with a `collection`
 * (or an `associationName` and `sourceId`) and a `filterByTk` is loaded as it stands, with no
 * permission check, and its fields go into the answer. The `rd` that opens this lane is derived
 * from the bearer token without its signature being checked, so it is no proof of a session.
 */

/** What a request with a key may not send: they take it onto that lane, past the key's role. */
const KEY_REFUSED = ['contextParams', 'rd', 'contractRd'];

const OURS = new Set([COLLECTION, USAGE_COLLECTION].map((name) => name.toLowerCase()));

export interface Collections {
  getCollection(name: string): { getField(name: string): { target?: string } | undefined } | undefined;
}

/** Whether a name (`apiKeys`, `apiKeys.createdBy`, `users.<a relation to keys>`) reaches keys or their usage. */
export function reachesOurs(collections: Collections, name: unknown): boolean {
  if (typeof name !== 'string') {
    return false;
  }
  // A data source's prefix (`main:apiKeys`) aside, the lookup is by exact name; compared without case to refuse near misses too.
  const [first, ...path] = name.replace(/^[^:.]*:/, '').split('.');
  let collection: string | undefined = first;
  for (const part of path) {
    if (collection === undefined || OURS.has(collection.toLowerCase())) {
      break;
    }
    collection = collections.getCollection(collection)?.getField(part)?.target;
  }
  return collection !== undefined && OURS.has(collection.toLowerCase());
}

/** The records a body's `contextParams` name, wherever they sit in it (a batch holds several). */
function namedRecords(body: unknown): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  // With a stack, not by recursion: a body of someone else's request may nest as deep as it likes.
  const stack: [value: unknown, inContext: boolean][] = [[body, false]];
  while (stack.length) {
    const [value, inContext] = stack.pop()!;
    if (Array.isArray(value)) {
      value.forEach((item) => stack.push([item, inContext]));
    } else if (isObject(value)) {
      if (inContext && 'collection' in value && 'filterByTk' in value) {
        records.push(value);
      }
      for (const [name, child] of Object.entries(value)) {
        stack.push([child, inContext || name === 'contextParams']);
      }
    }
  }
  return records;
}

/**
 * For every request, a key's or a session's: no record the flow engine loads is a key or a key's
 * usage (a session of any user would read other users' key names, hints and owners).
 */
export function refuseFlowRecordsOfKeys(ctx: Context, next: Next) {
  const body = (ctx.request as { body?: unknown }).body;
  if (isObject(body) || Array.isArray(body)) {
    const collections = ctx.db as unknown as Collections;
    const records = namedRecords(body);
    if (records.some((record) => reachesOurs(collections, record.collection) || reachesOurs(collections, record.associationName))) {
      throwKeywardError(ctx, refusals.actionNotAllowed());
    }
  }
  return next();
}

/**
 * Whether a key's request sends the flow engine's parameters, at the body's top or in its
 * `values`. `rd` and `contractRd` count only on an action a plugin defines itself: on the host's
 * generic actions they may be a collection's fields.
 */
export function sendsFlowContext(values: unknown, ownAction: boolean): boolean {
  const names = ownAction ? KEY_REFUSED : ['contextParams'];
  return [values, isObject(values) ? values.values : undefined].some(
    (level) => isObject(level) && names.some((name) => level[name] !== undefined),
  );
}
