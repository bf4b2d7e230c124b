import { Alert, Button, Popconfirm, Space } from 'antd';
import React, { useEffect, useState } from 'react';
import { errorMessage, type HandoverNotice as Notice, type KeysApi, type Translate } from './api';

/**
 * Tells an administrator, once, that Keyward took over the built-in plugin's keys, and offers
 * to erase the plain-text copies the built-in's table still holds.
 */
export function HandoverNotice({ api, t }: { api: KeysApi; t: Translate }) {
  const [notice, setNotice] = useState<Notice | null>(null);
  const [error, setError] = useState<string>();

  useEffect(() => {
    void api.handover().then(setNotice);
  }, [api]);

  if (!notice?.pending) {
    return null;
  }
  const close = (action: () => Promise<void>) => async () => {
    try {
      await action();
      setNotice(null);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const copies = notice.plaintextCopies ?? 0;
  return (
    <Alert
      type={copies ? 'warning' : 'info'}
      showIcon
      style={{ marginBottom: 16 }}
      message={t('API keys were taken over from the built-in "Auth: API keys" plugin, now switched off: {{count}}.', {
        count: notice.imported,
      })}
      description={
        <>
          <p>{t('They keep working with the keys your scripts already hold, and show as Imported below. Expired or revoked keys were left behind: {{count}}.', { count: notice.skipped ?? 0 })}</p>
          {(notice.failed ?? 0) > 0 && (
            <p>{t('Live keys that could not be imported and were blocked (the app log says why): {{count}}.', { count: notice.failed })}</p>
          )}
          {copies > 0 && (
            <p>{t('The built-in plugin’s table still holds {{count}} of them in plain text. Erase those copies, unless you may switch back to the built-in plugin.', { count: copies })}</p>
          )}
          {error && <p style={{ color: 'red' }}>{error}</p>}
        </>
      }
      action={
        <Space direction="vertical">
          {copies > 0 && (
            <Popconfirm
              title={t('Erase the plain-text copies?')}
              description={t('The built-in plugin can then no longer use these keys.')}
              okText={t('Erase')}
              okButtonProps={{ danger: true }}
              cancelText={t('Cancel')}
              onConfirm={close(() => api.eraseBuiltInCopies())}
            >
              <Button size="small" danger>
                {t('Erase plain-text copies')}
              </Button>
            </Popconfirm>
          )}
          <Button size="small" onClick={close(() => api.dismissHandover())}>
            {t('Dismiss')}
          </Button>
        </Space>
      }
    />
  );
}
