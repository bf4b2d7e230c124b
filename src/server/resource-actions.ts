import type { Context } from '@nocobase/actions';

interface ResourceManagerLike {
  isDefined?(name: string): boolean;
  getResource(name: string): { actions?: Map<string, { handler?: unknown }> };
  getRegisteredHandler(name: string): unknown;
}

/**
 * Whether the request's resource defines the action itself, rather than answering it with the
 * host's generic handler of that name (which every resource gets unless it brings its own).
 */
export function definesItself(ctx: Context, resourceName: string, actionName: string): boolean {
  const manager = (ctx.dataSource?.resourceManager ?? ctx.app?.resourceManager) as unknown as ResourceManagerLike | undefined;
  if (!manager) {
    return false;
  }
  if (manager.getRegisteredHandler(`${resourceName}:${actionName}`)) {
    return true;
  }
  const handler = manager.isDefined?.(resourceName) ? manager.getResource(resourceName).actions?.get(actionName)?.handler : undefined;
  return handler !== undefined && handler !== manager.getRegisteredHandler(actionName);
}
