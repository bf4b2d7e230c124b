import type { Context, Next } from '@nocobase/actions';
import { COLLECTION, USAGE_COLLECTION } from '../../constants';
import { type KeywardError, refusals, throwKeywardError } from '../errors';
import { isObject } from '../is-object';
import { chartQuery, queries, sentFilters } from '../query-paths';
import { isRecordId } from '../record-id';
import { definesItself } from '../resource-actions';
import { isAccountCollection } from './account-collections';
import { isReadAction } from './read-actions';
import { keyMayCall } from './signed-in-actions';
import { CONFIGURATION_READS } from './configuration';
import { badFilterOperator, badFilterVariable, type FilterDatabase } from './filter-operators';
import { sendsFlowContext } from './flow-context';
import { badValue } from '../written-values';
import { VALUE_TYPE_MESSAGE } from '../bad-input/requests';
import { chartCollection, collectionWorkedOn, rootKeyStaysOnData } from './root-keys';
import { isFieldPath, namesFieldsPlainly, readsSecrets } from './secret-reads';

interface HostAllowances {
  skipActions: Map<string, Map<string, unknown>>;
}

/**
 * Whether the host lets any signed-in user (or anybody) call the action, whatever the role.
 * The `*:*` entry is left out: the ACL plugin uses it for the root role, a role decision.
 */
function allowedToAnySignedInUser(allowances: HostAllowances, resourceName: string, actionName: string): boolean {
  for (const resource of ['*', resourceName]) {
    const actions = allowances.skipActions.get(resource);
    for (const action of ['*', actionName]) {
      if (actions?.get(action) && !(resource === '*' && action === '*')) {
        return true;
      }
    }
  }
  return false;
}

/** Anything but a plain record id could be the owner's: the database reads `03` as 3. */
const mentions = (value: unknown, id: string): boolean =>
  [value].flat(2).some((item) => item !== undefined && (!isRecordId(item) || String(item) === id));

/**
 * Whether a write may land on the owner's own user row: `users` itself (by id, or by a filter
 * that could match it), the owner's associations (`users/<owner>/roles`), or an association
 * that adds, sets or removes the owner (`roles/<name>/users`).
 */
function writesOwner(ctx: Context, source: string, association: string | undefined, ownerId: string): boolean {
  const { filterByTk, values } = ctx.action.params;
  if (source === 'users') {
    return association ? mentions(ctx.action.sourceId, ownerId) : filterByTk === undefined || mentions(filterByTk, ownerId);
  }
  if (filterByTk === undefined) {
    return values === undefined || mentions(values, ownerId);
  }
  return mentions(filterByTk, ownerId) || mentions(values, ownerId);
}

/** Association actions that only link rows: the host asks for `update` on the source for them. */
const LINK_ACTIONS = new Set(['add', 'set', 'remove', 'toggle']);

/** Where each kind of relation keeps its link: the collection whose rows a link action writes. */
const LINK_HOLDER: Readonly<Record<string, (source: string, target: string, through?: string) => string>> = {
  belongsTo: (source) => source,
  belongsToMany: (_source, target, through) => through ?? target,
  hasOne: (_source, target) => target,
  hasMany: (_source, target) => target,
};

interface AssociationField {
  type?: string;
  target?: string;
  through?: string;
}

/**
 * What a write changes. `rows`: the collections whose rows it writes: on a collection, itself;
 * on an association, the one holding the link (the source for belongsTo, the join table for
 * belongsToMany, else the target) and, unless it only links, the target. `linked`: the ends of a
 * belongsToMany link, whose associations it changes from both sides (`desktopRoutes/<id>/roles:add`
 * changes a role's menu as much as `roles/<name>/desktopRoutes:add`).
 */
function written(ctx: Context, source: string, association: string | undefined): { rows: string[]; linked: string[] } {
  if (!association) {
    return { rows: [source], linked: [] };
  }
  const field = ctx.db?.getCollection(source)?.getField(association) as AssociationField | undefined;
  if (!field?.target) {
    // Not a relation the main database knows: taken as writing both names.
    return { rows: [source, association], linked: [] };
  }
  const { type, target } = field;
  const link = LINK_HOLDER[type ?? '']?.(source, target, field.through);
  if (link === undefined) {
    // A relation of another kind (a plugin's, such as belongsToArray, which keeps its ids on
    // the source row): taken as writing both ends.
    return { rows: [source, target], linked: [] };
  }
  return {
    rows: LINK_ACTIONS.has(ctx.action.actionName) ? [link] : [target, link],
    linked: type === 'belongsToMany' ? [source, target] : [],
  };
}

/**
 * A write that changes an account or configuration, its own name aside (checked before): rows of
 * an account collection or of the owner, rows a configuration permission covers, or a link
 * to a collection one covers. Main data source only: another source may have a `users` table of
 * its own. `users` rows are configuration (the host's users permission covers `users:*`), but a
 * link to users (a project's members) is data: only links to the owner are refused.
 */
function refusedWrite(ctx: Context, isConfiguration: (path: string) => boolean): KeywardError | undefined {
  const { resourceName, actionName } = ctx.action;
  if (isReadAction(resourceName, actionName)) {
    return undefined;
  }
  const [source, association] = resourceName.split('.');
  const { rows, linked } = written(ctx, source, association);
  const ownerId = String(ctx.state.currentUser?.id);
  if (rows.some((name) => name !== 'users' && isAccountCollection(name))) {
    return refusals.accountActionRefused();
  }
  if ((rows.includes('users') || linked.includes('users')) && writesOwner(ctx, source, association, ownerId)) {
    return refusals.accountActionRefused();
  }
  if ([...rows, ...linked.filter((name) => name !== 'users')].some((name) => isConfiguration(`${name}:update`))) {
    return refusals.configurationRefused();
  }
  return undefined;
}

const isConfigurationRead = (resourceName: string, actionName: string) =>
  Object.prototype.hasOwnProperty.call(CONFIGURATION_READS, `${resourceName}:${actionName}`);

/**
 * The host writes the records behind the associations `updateAssociationValues` names
 * (`createdBy`, `createdBy.roles`, `storage`, …), with a permission check it skips for actions
 * any signed-in user may call. A key may name only paths that stay on data collections.
 */
function refuseNestedWrites(ctx: Context, isConfiguration: (path: string) => boolean) {
  const paths: unknown = ctx.action.params.updateAssociationValues ?? [];
  // The host filters it as a list (a 500 on text).
  if (!Array.isArray(paths) || !paths.every((path) => typeof path === 'string')) {
    throwKeywardError(ctx, refusals.badInput('updateAssociationValues takes a list of association paths.'));
  }
  const [source, association] = ctx.action.resourceName.split('.');
  const start = association ? ctx.db?.getCollection(source)?.getField(association)?.target : source;
  for (const path of paths) {
    let collection = ctx.db?.getCollection(start);
    for (const name of String(path).split('.')) {
      const target: string | undefined = collection?.getField(name)?.target;
      if (!target || isAccountCollection(target)) {
        throwKeywardError(ctx, refusals.accountActionRefused());
      }
      if (isConfiguration(`${target}:update`)) {
        throwKeywardError(ctx, refusals.configurationRefused());
      }
      collection = ctx.db.getCollection(target);
    }
  }
}

/** The aggregate functions the host's query builder takes; it throws on any other (a 500). */
const AGGREGATIONS = ['sum', 'count', 'avg', 'min', 'max'];

const isText = (value: unknown) => value === undefined || value === null || typeof value === 'string';

const NO_QUERY_FIELDS_MESSAGE = 'A chart query needs at least one measure or dimension.';

const QUERY_FIELDS_MESSAGE = 'measures, dimensions and orders take lists of fields; an aggregation is sum, count, avg, min or max; alias, format and order are text.';

/** A field's names as the query builder reads them: a field, or an association and a field of its target. */
const fieldPath = (field: unknown): unknown[] => (Array.isArray(field) ? field : typeof field === 'string' ? field.split('.').filter(Boolean) : []);

const isFieldName = (field: unknown) => {
  const path = fieldPath(field);
  return path.length > 0 && path.length <= 2 && path.every((name) => typeof name === 'string' && name !== '');
};

/** What each item of a query's or chart's lists must be for the host's query builder, which fails on anything else with a 500. */
const QUERY_ITEMS: Readonly<Record<string, (item: Record<string, unknown>) => boolean>> = {
  measures: ({ field, aggregation, alias }) =>
    isFieldName(field) && isText(aggregation) && (!aggregation || AGGREGATIONS.includes(aggregation as string)) && isText(alias),
  dimensions: ({ field, alias, format }) => isFieldName(field) && isText(alias) && isText(format),
  orders: ({ field, alias, order }) => isFieldName(field) && isText(alias) && isText(order),
};

/** The collection a query's or chart's fields are read in, when it is known here. */
function queriedCollection(ctx: Context): { getField(name: string): { target?: unknown } | undefined } | undefined {
  const { resourceName, actionName } = ctx.action;
  if (chartQuery(ctx)) {
    const name = chartCollection(ctx);
    return name ? (ctx.db.getCollection(name) as ReturnType<typeof queriedCollection>) : undefined;
  }
  const collections = ctx.dataSource?.collectionManager ?? ctx.db;
  return actionName === 'query' && !resourceName.includes('.') ? collections.getCollection(resourceName) : undefined;
}

/** A query's or chart's measures, dimensions and orders as the host's query builder reads them; the message of what is not. */
function badQueryFields(ctx: Context): string | undefined {
  const { values } = ctx.action.params;
  if (!queries(ctx) || !isObject(values)) {
    return undefined;
  }
  const listed = (name: string) => Array.isArray(values[name]) && values[name].length > 0;
  const shaped = Object.entries(QUERY_ITEMS).every(
    ([name, itemShaped]) => values[name] === undefined || (Array.isArray(values[name]) && values[name].every((item: unknown) => isObject(item) && itemShaped(item))),
  );
  // The builder looks the first of two names up as an association of the collection (a 500 if none).
  const collection = queriedCollection(ctx);
  const items = Object.keys(QUERY_ITEMS).flatMap((name) => (shaped ? (values[name] ?? []) : [])) as Record<string, unknown>[];
  if (!shaped || items.some(({ field }) => fieldPath(field).length > 1 && collection && !collection.getField(fieldPath(field)[0] as string)?.target)) {
    return QUERY_FIELDS_MESSAGE;
  }
  // The generic action answers this with a 400 of its own; a chart selects no column, a 500.
  return chartQuery(ctx) && !listed('measures') && !listed('dimensions') ? NO_QUERY_FIELDS_MESSAGE : undefined;
}

/** The request's database as far as its filters go; another data source's may have none. */
function filterDatabase(ctx: Context): FilterDatabase {
  const db = ctx.dataSource?.collectionManager?.db ?? ctx.db;
  return { dialect: db?.sequelize?.getDialect?.() ?? '', operators: db?.operators ?? new Map() };
}

/**
 * Runs on every data source right after auth, for requests made with a key only. A key works
 * on data within its role:
 * - a read-only key calls only the actions of the read table;
 * - it never names records for the flow engine to load (see flow-context.ts);
 * - an action the host allows to any signed-in user is called only if the signed-in action
 *   table says a key may (deny by default);
 * - an action of the host's configuration permissions is refused, whatever the role (raw SQL,
 *   plugins, users and roles, workflows, …), but for the few reads in CONFIGURATION_READS;
 * - a root key works, resource or chart, only on the collections a role's data strategy covers
 *   (the host's ACL lets root past everything else: permission tables, settings, …);
 * - a chart never reads keys or their usage;
 * - a write never reaches an account collection, nor the owner's own user row, nor rows or
 *   links a configuration permission covers, whichever way it is addressed (an association's
 *   path, `updateAssociationValues`).
 */
export function restrictKeyRequests(isConfiguration: (path: string) => boolean) {
  return async function restrictKeyRequests(ctx: Context, next: Next) {
    if (!ctx.state.apiKey) {
      return next();
    }
    const { resourceName, actionName } = ctx.action;
    // A read-only key reads, on every data source, whatever its role may write.
    if (ctx.state.apiKey.readOnly && !isReadAction(resourceName, actionName)) {
      throwKeywardError(ctx, refusals.readOnly());
    }
    const ownAction = definesItself(ctx, resourceName, actionName);
    // The import plugin writes them into every row, past the role's field list and its checks of association values.
    if (actionName === 'importXlsx' && ctx.action.params.rowDefaultValues !== undefined) {
      throwKeywardError(ctx, refusals.badInput('With an API key, importXlsx takes no rowDefaultValues: they would be written past the role’s field list.'));
    }
    if (sendsFlowContext(ctx.action.params.values, ownAction)) {
      throwKeywardError(ctx, refusals.accountActionRefused());
    }
    const { filter } = ctx.action.params;
    // The host's list readers take an object, or a list of them; on anything else a 500.
    if (filter != null && !isObject(filter) && !(Array.isArray(filter) && filter.every(isObject))) {
      throwKeywardError(ctx, refusals.badInput('filter takes an object, or a list of them.'));
    }
    const filters = sentFilters(ctx);
    const refusal = badFilterOperator(filters, filterDatabase(ctx), -1) ?? badFilterVariable(filters, (path) => isFieldPath(ctx, 'users', path));
    if (refusal) {
      throwKeywardError(ctx, refusal);
    }
    const queryFields = badQueryFields(ctx);
    if (queryFields) {
      throwKeywardError(ctx, refusals.badInput(queryFields));
    }
    const main = !ctx.dataSource || ctx.dataSource.name === 'main';
    const acl = ctx.dataSource?.acl ?? ctx.app.acl;
    const signedIn = allowedToAnySignedInUser(acl.allowManager as unknown as HostAllowances, resourceName, actionName);
    if (signedIn) {
      if (!keyMayCall(resourceName, actionName, ownAction)) {
        throwKeywardError(ctx, refusals.accountActionRefused());
      }
    } else if (main && isConfiguration(`${resourceName}:${actionName}`) && !isConfigurationRead(resourceName, actionName)) {
      throwKeywardError(ctx, refusals.configurationRefused());
    }
    if (main) {
      if (!namesFieldsPlainly(ctx)) {
        throwKeywardError(ctx, refusals.badInput('appends, fields, sort and except take field names.'));
      }
      // Before the ACL, which fails on a missing item of a relation's list.
      if (badValue(ctx) !== undefined) {
        throwKeywardError(ctx, refusals.badInput(VALUE_TYPE_MESSAGE));
      }
      if (readsSecrets(ctx, filters)) {
        throwKeywardError(ctx, refusals.accountActionRefused());
      }
      const refusal = refusedWrite(ctx, isConfiguration);
      if (refusal) {
        throwKeywardError(ctx, refusal);
      }
      const charted = chartCollection(ctx);
      // Only Keyward's actions read keys, and never for a key.
      if (charted === COLLECTION || charted === USAGE_COLLECTION) {
        throwKeywardError(ctx, refusals.managedByKey());
      }
      // Decided above: what any signed-in user may call (a chart names its collection), and the
      // configuration reads.
      const decided = signedIn || isConfigurationRead(resourceName, actionName);
      const worked = charted ?? (decided ? undefined : collectionWorkedOn(ctx, resourceName));
      if (!rootKeyStaysOnData(ctx, acl, worked)) {
        throwKeywardError(ctx, refusals.configurationRefused());
      }
      refuseNestedWrites(ctx, isConfiguration);
    }
    await next();
  };
}
