import type { Context, Next } from '@nocobase/actions';
import { refusals, throwKeywardError, type KeywardError } from '../errors';
import { definesItself } from '../resource-actions';

interface MoveRepository {
  findOne?(options: { filterByTk: unknown; filter?: unknown }): Promise<unknown>;
  association?: { associationType?: string; foreignKey?: string };
  collection?: { getField(name: string): { get(option: string): unknown } | undefined };
}

type Row = { get(field: string): unknown };

/** The row ids `move` reads: the row it moves, and the row it moves it next to. */
const ROW_PARAMS = ['sourceId', 'targetId'] as const;

/**
 * The field `move` writes, as the host's field-sort action picks it: the one named, else an
 * association's `<foreign key>Sort`, else `sort`.
 */
function sortFieldOf(repository: MoveRepository, sortField: unknown): string {
  if (typeof sortField === 'string') {
    return sortField;
  }
  const foreignKey = repository.association?.foreignKey;
  return foreignKey ? `${foreignKey}Sort` : 'sort';
}

/**
 * What the host's `move` would do beyond the role of the key that asks. Its handler finds the
 * rows by id alone: the role's scope on `update` (only its own records, say), which the ACL
 * puts in the request's filter, is never applied, nor its field list (`move` writes the sort
 * field, and with `targetScope` the field that scopes the sort). A row that is not there is a
 * 500. So each row must be one the request's filter reaches, and the fields `move` writes must
 * be in the role's list, if it has one. A row the role may not update is answered as a row that is
 * not there: the key learns nothing of it.
 */
async function beyondRole(ctx: Context, repository: MoveRepository): Promise<KeywardError | undefined> {
  const { params } = ctx.action;
  if (repository.association?.associationType === 'BelongsToMany') {
    return refusals.badInput('move does not sort a belongs-to-many association.');
  }
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
  const { whitelist } = params as { whitelist?: unknown };
  if (Array.isArray(whitelist)) {
    const sortField = sortFieldOf(repository, params.sortField);
    const scopeKey = repository.collection?.getField(sortField)?.get('scopeKey');
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

/** After the ACL, on requests made with a key: the host's generic `move` kept to the key's role. */
export async function moveWithinScope(ctx: Context, next: Next) {
  const { action } = ctx;
  if (ctx.state.apiKey && action?.actionName === 'move' && !definesItself(ctx, action.resourceName, 'move')) {
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
