/**
 * The part of the host's client we use. `@nocobase/client` is not installable from the
 * registry; at run time the host provides it to our bundle as an external module.
 */
declare module '@nocobase/client' {
  export class Plugin<Options = { name?: string; packageName?: string }> {
    app: {
      apiClient: { request(config: object): Promise<{ data: any }>; axios: { defaults: { baseURL?: string } } };
      i18n: { t(text: string, options?: object): string; language?: string };
      pluginSettingsManager: { add(name: string, options: object): void };
    };
    options: Options;
    load(): Promise<void>;
  }
}
