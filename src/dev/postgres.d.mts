export interface PostgresSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}
export type PostgresEnvironment = {
  DB_DIALECT: 'postgres';
  DB_HOST: string;
  DB_PORT: string;
  DB_DATABASE: string;
  DB_USER: string;
  DB_PASSWORD: string;
};
export declare function postgresSettings(env?: NodeJS.ProcessEnv): PostgresSettings;
export declare function postgresEnvironment(settings: PostgresSettings): PostgresEnvironment;
export declare function ensureDatabase(settings: PostgresSettings, database?: string): Promise<void>;
export declare function dropDatabases(settings: PostgresSettings, prefix: string): Promise<string[]>;
export declare function ensurePostgres(options?: {
  database?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}): Promise<PostgresEnvironment>;
