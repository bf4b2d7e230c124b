export declare const ROLE: { name: string; title: string };
export declare const USER: { username: string; nickname: string; email: string; password: string };
export declare const TODOS: string[];
export declare const KEYWARD_SNIPPET: string;
export declare function call(
  baseUrl: string,
  token: string | undefined,
  action: string,
  options?: { method?: string; params?: Record<string, unknown>; body?: unknown; authenticator?: string | null },
): Promise<any>;
export declare function signIn(baseUrl: string, account: string, password: string): Promise<string>;
export declare function createKey(baseUrl: string, token: string, roleName: string, name?: string): Promise<string>;
export declare function setUpTodos(baseUrl: string, options?: { titles?: string[]; snippets?: string[] }): Promise<void>;
