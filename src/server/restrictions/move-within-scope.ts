import type { Context, Next } from '@nocobase/actions';
import { refusals, throwKeywardError, type KeywardError } from '../errors';
import { definesItself } from '../resource-actions';
import { isObject } from '../is-object';

interface MoveRepository {
  findOne?(options: { filterByTk?: unknown; filter?: unknown }): Promise<unknown>;
  collection?: {
    getField(name: string): { get(option: string): unknown } | undefined;
    validate?(options: { values: Record<string, unknown>; operation: 'update' }): void;
  };
}

type Row = { get(field: string): unknown };

/** The row ids `move` reads: the row it moves, and the row it moves it next to. */
const ROW_PARAMS = ['sourceId', 'targetId'] as const;

/**
 * What the host's `move` would do beyond the role of the key that asks. Its handler finds the
 * rows by id alone: the role's scope on `update` (only its own records, say), which the ACL
 * puts in the request's filter, is never applied, nor its field list (`move` writes the sort
 * field, and with `targetScope` the field that scopes the sort). A row that is not there is a
 * 500. So each row must be one the request's filter reaches, found as the host finds it (by the
 * collection's record key), and the fields `move` writes must be in the role's list, if it has
 * one. A row the role may not update is answered as a row that is not there: the key learns
 * nothing of it. The rows between the two positions still shift by one, whoever's they are:
 * the order is one for the whole collection.
 */
async function beyondRole(ctx: Context, repository: MoveRepository): Promise<KeywardError | undefined> {
  const { params } = ctx.action;
  const rows: Row[] = [];
  for (const name of ROW_PARAMS) {
    const id = params[name];
    if (id === undefined) {
      continue;
    }
    if (typeof id !== 'string' && typeof id !== 'number') {
      return refusals.badInput('{{param}} must be one record id.', { param: name });
    }
    const row = (await repository.findOne!({ filterByTk: id, filter: params.filter })) as Row | null;
    if (!row) {
      return refusals.badInput('There is no record this request may move: {{id}}.', { id: String(id).slice(0, 100) });
    }
    rows.push(row);
  }
  const sortField = typeof params.sortField === 'string' ? params.sortField : 'sort';
  const scopeKey = repository.collection?.getField(sortField)?.get('scopeKey');
  const { targetScope } = params;
  if (targetScope !== undefined && typeof scopeKey === 'string') {
    // The host writes the new scope after it has moved the row, with no transaction: a value
    // its field's rules or its column refuse must fail here, before anything moves.
    const value = isObject(targetScope) ? targetScope[scopeKey] : null;
    if (!['string', 'number', 'boolean', 'undefined'].includes(typeof value)) {
      return refusals.badInput('targetScope takes one value for the sort field’s scope: {{field}}.', { field: scopeKey });
    }
    if (value !== undefined) {
      repository.collection?.validate?.({ values: { [scopeKey]: value }, operation: 'update' });
      // Read before written: a value its column refuses (text for a number, on PostgreSQL) fails here.
      await repository.findOne!({ filter: { [scopeKey]: value } });
    }
  }
  const { whitelist } = params as { whitelist?: unknown };
  if (Array.isArray(whitelist)) {
    // The scope is written when the row goes to another: named, or the target's.
    const [source, target] = rows;
    const rescoped =
      typeof scopeKey === 'string' &&
      (params.targetScope !== undefined || (target !== undefined && source.get(scopeKey) !== target.get(scopeKey)));
    const refused = [sortField, ...(rescoped ? [scopeKey] : [])].find((field) => !whitelist.includes(field));
    if (refused !== undefined) {
      return refusals.badInput('move writes {{field}}, which this request may not change.', { field: refused.slice(0, 100) });
    }
  }
  return undefined;
}

/**
 * After the ACL, on requests made with a key: the host's generic `move` kept to the key's role.
 * Only on a collection itself: through an association (`tasks/1/parent:move`) the host still
 * moves any row of the target collection by id, where the association's repository would check
 * other rows, or none (a belongs-to finds its one related row whatever the id), and the ACL's
 * filter is the association's, not the target's.
 */
export async function moveWithinScope(ctx: Context, next: Next) {
  const { action } = ctx;
  if (ctx.state.apiKey && action?.actionName === 'move' && !definesItself(ctx, action.resourceName, 'move')) {
    if (action.resourceName.includes('.')) {
      throwKeywardError(ctx, refusals.badInput('With an API key, move sorts the rows of a collection, not through an association.'));
    }
    const repository = ctx.getCurrentRepository?.() as MoveRepository | undefined;
    // A repository that moves rows itself, or one of a data source without `findOne`, is not
    // the host's generic handler's case.
    if (repository && typeof repository.findOne === 'function' && !('move' in repository)) {
      const refusal = await beyondRole(ctx, repository);
      if (refusal) {
        throwKeywardError(ctx, refusal);
      }
    }
  }
  await next();
}
