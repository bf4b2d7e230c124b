import type { HandlerType } from '@nocobase/resourcer';

/**
 * Runs after the host has picked the current roles: a key request acts as its key's role
 * alone, even where the system's role mode would merge all of the owner's roles.
 */
export const pinKeyRole: HandlerType = async (ctx, next) => {
  const key = ctx.state.apiKey;
  if (key) {
    ctx.state.currentRole = key.roleName;
    ctx.state.currentRoles = [key.roleName];
    const user = ctx.state.currentUser;
    if (Array.isArray(user?.roles)) {
      user.roles = user.roles.filter((role: { name: string }) => role.name === key.roleName);
    }
  }
  await next();
};
