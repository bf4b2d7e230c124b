import { Plugin } from '@nocobase/client';
import React from 'react';
import { PACKAGE_NAME, SETTINGS_KEY } from '../constants';
import { createKeysApi } from './api';
import { translator } from './translate';
import { ApiKeysPage } from './ApiKeysPage';

/** Wires the settings page to the host: its API client, its i18n, its settings manager. */
export class PluginKeywardClient extends Plugin {
  async load() {
    const api = createKeysApi((config) => this.app.apiClient.request(config));
    const t = translator(this.app.i18n);
    const apiBaseUrl = new URL(this.app.apiClient.axios.defaults.baseURL ?? '/api/', window.location.href).href;
    const SettingsPage = () => (
      <ApiKeysPage api={api} t={t} apiBaseUrl={apiBaseUrl} locale={this.app.i18n.language} />
    );

    this.app.pluginSettingsManager.add(SETTINGS_KEY, {
      title: t('API keys'),
      icon: 'KeyOutlined',
      // The same snippet as the server's apiKeys actions: only roles granted key management see it.
      aclSnippet: `pm.${this.options?.name ?? PACKAGE_NAME}.configuration`,
      Component: SettingsPage,
    });
  }
}

export default PluginKeywardClient;
