import { ruleMatches } from './snippet-rules';

interface HostSnippets {
  snippetManager: { snippets: Map<string, { name: string; actions: string[] }> };
}

/**
 * Reads a key may still make of what a configuration permission covers: metadata and the
 * directory a script works with. Every other action a configuration permission covers, reads
 * included (a raw-table query, an authenticator's secrets), is refused to keys.
 */
export const CONFIGURATION_READS: Readonly<Record<string, string>> = {
  'users:list': 'the users a role may list, hidden fields left out',
  'users:get': 'one user a role may read, hidden fields left out',
  'roles:list': 'the roles a script assigns or checks',
  'roles:get': 'one role',
  'collections:get': 'one collection’s metadata',
  'collections.fields:list': 'a collection’s fields',
  'dataSources:list': 'data source metadata',
  'dataSources.collections:list': 'a data source’s collections',
  'desktopRoutes:list': 'menu metadata',
};

/**
 * Whether an action, or a collection written as `<name>:update`, belongs to one of the host's
 * configuration permissions (ACL snippets: plugins, collections and fields, users, roles and
 * permissions, interface, workflows, SQL, storages, backups, settings). Key management is left
 * out: it has its own guard and code. Answers are kept per action; snippets are registered
 * while plugins load.
 */
export function configurationCheck(acl: unknown, ownSnippet: string) {
  const answers = new Map<string, boolean>();
  return (path: string): boolean => {
    let answer = answers.get(path);
    if (answer === undefined) {
      const patterns = [...(acl as HostSnippets).snippetManager.snippets.values()]
        .filter((snippet) => snippet.name !== ownSnippet)
        .flatMap((snippet) => snippet.actions);
      answer = patterns.some((pattern) => ruleMatches(pattern.includes(':') ? pattern : `${pattern}:*`, path));
      if (answers.size > 10_000) {
        answers.clear();
      }
      answers.set(path, answer);
    }
    return answer;
  };
}
