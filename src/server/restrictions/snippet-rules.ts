import type { ACL } from '@nocobase/acl';

/**
 * Whether a role's snippet rules (`pm`, `pm.*`, `!pm.<name>.configuration`, …) grant a snippet.
 * The host matches them with minimatch, where `*` stops at `/`; our plugin's name is a scoped
 * npm name, so its snippet has one, and `pm.*` ("Allows to configure plugins") would miss it.
 * Here `*` spans any characters. A negated rule always wins, as in the host.
 */
export function snippetGranted(rules: Iterable<string>, snippet: string): boolean {
  let granted = false;
  for (const rule of rules) {
    const negated = rule.startsWith('!');
    if (ruleMatches(negated ? rule.slice(1) : rule, snippet)) {
      if (negated) {
        return false;
      }
      granted = true;
    }
  }
  return granted;
}

/** A snippet rule or a snippet's action pattern against a name; `*` spans any characters. */
export function ruleMatches(rule: string, snippet: string): boolean {
  const pattern = rule
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`).test(snippet);
}

/**
 * Whether one of the roles is root or holds the snippet. The ACL is handed in, not read from
 * the request: the host's ACL plugin runs ACL middlewares again on contexts of its own making
 * (to tell the UI which actions each row allows), and those carry no `app`.
 */
export function rolesGrantSnippet(acl: ACL, roles: string[] = [], snippet: string): boolean {
  return roles.some((name) => {
    const role = acl.getRole(name);
    return name === 'root' || (role !== undefined && snippetGranted(role.snippets, snippet));
  });
}
