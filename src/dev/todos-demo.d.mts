export declare const ROLE: { name: string; title: string };
export declare const USER: { username: string; nickname: string; email: string; password: string };
export declare const TODOS: string[];
/** Sets the seeds' To-Dos walkthrough up on the running app; resolves with a new key for its role. */
export declare function setUpTodos(): Promise<string>;
