import type { Context } from '@nocobase/actions';
import { OWN_RESOURCES } from '../../constants';
import { isObject } from '../is-object';

/** The role the host's ACL lets past every check, by name. */
const ROOT_ROLE = 'root';
const OURS = new Set(OWN_RESOURCES);

interface HostStrategy {
  strategyResources: Set<string> | null;
}

/**
 * Whether a role's data strategy ("all collections" in a role's settings) covers the collection:
 * the collections the collection manager made and the few a plugin marks as data (attachments,
 * regions). The host's ACL keeps the rest (the permission tables, settings, plugins' own
 * records) from every role but root, which it lets past everything, and only some of them are
 * named by a configuration permission. So a root key works as a role with full data access:
 * on these collections. With no such collection known yet the host applies a strategy to
 * every collection; a key, to none.
 */
function isDataCollection(acl: unknown, name: string): boolean {
  return (acl as HostStrategy).strategyResources?.has(name) === true;
}

/**
 * Whether the request's key may work on the collection as far as its role goes: any key but a
 * root key (the host's ACL decides), and a root key on data. Keyward's own resources answer
 * every key with refusals of their own.
 */
export function rootKeyStaysOnData(ctx: Context, acl: unknown, collection: string | undefined): boolean {
  return ctx.state.apiKey?.roleName !== ROOT_ROLE || collection === undefined || OURS.has(collection) || isDataCollection(acl, collection);
}

/**
 * The collection an action works on, as the host's ACL resolves it: an association's target;
 * undefined for an association that does not exist (the host answers it with a 404).
 */
export function collectionWorkedOn(ctx: Context, resourceName: string): string | undefined {
  const [source, association] = resourceName.split('.');
  if (!association || OURS.has(source)) {
    return source;
  }
  return ctx.db?.getCollection(source)?.getField(association)?.target;
}

/** The main data source's collection a chart query names, if the request is one. */
export function chartCollection(ctx: Context): string | undefined {
  const { resourceName, actionName, params } = ctx.action;
  if (resourceName !== 'charts' || actionName !== 'queryData') {
    return undefined;
  }
  const values = (isObject(params.values) ? params.values : {}) as Record<string, unknown>;
  // As the chart plugin picks its database: a data source it does not know is the main one.
  const dataSource = ctx.app?.dataSourceManager?.dataSources.get(values.dataSource as string);
  const db = (dataSource?.collectionManager as { db?: unknown } | undefined)?.db ?? ctx.db;
  return db === ctx.db ? String(values.collection ?? '') : undefined;
}
