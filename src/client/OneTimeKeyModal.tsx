import { Alert, Button, Input, Modal, Space, Typography } from 'antd';
import React, { useState } from 'react';
import type { CreatedKey, Translate } from './api';

export interface OneTimeKeyModalProps {
  createdKey: CreatedKey | null;
  /** This app's API root, e.g. `http://localhost:13000/api/`. */
  apiBaseUrl: string;
  t: Translate;
  onClose(): void;
}

export function curlExample(apiBaseUrl: string, collection: string, token: string) {
  return `curl '${apiBaseUrl}${collection}:list' \\\n  -H 'Authorization: Bearer ${token}'`;
}

/** For scripts and apps outside NocoBase: the key goes in a header. */
export function fetchExample(apiBaseUrl: string, collection: string, token: string) {
  return [
    `const res = await fetch('${apiBaseUrl}${collection}:list', {`,
    `  headers: { Authorization: 'Bearer ${token}' },`,
    `});`,
    `const { data } = await res.json();`,
  ].join('\n');
}

/**
 * For a JS block in this same app: no key. A block's code is sent to everyone who views the
 * page, so it calls the API with the viewer's own session, limited to the viewer's role.
 */
export function jsBlockExample(collection: string) {
  return [
    `const res = await ctx.api.request({ url: '${collection}:list', method: 'get' });`,
    `ctx.message.success(\`Fetched \${res.data.data.length} records\`);`,
  ].join('\n');
}

/** Shows a new key exactly once, with ready-to-paste examples; closing asks for confirmation. */
export function OneTimeKeyModal({ createdKey, apiBaseUrl, t, onClose }: OneTimeKeyModalProps) {
  const [collection, setCollection] = useState('todos');
  const [copied, setCopied] = useState(false);
  const [confirming, setConfirming] = useState(false);
  if (!createdKey) {
    return null;
  }
  const { token } = createdKey;
  const copy = async () => {
    await navigator.clipboard.writeText(token);
    setCopied(true);
  };
  const close = () => {
    setConfirming(false);
    setCopied(false);
    onClose();
  };
  const footer = confirming ? (
    <Space>
      <Typography.Text strong>{t('Have you copied the key? It cannot be shown again.')}</Typography.Text>
      <Button onClick={() => setConfirming(false)}>{t('Go back')}</Button>
      <Button type="primary" danger onClick={close}>
        {t('Yes, close')}
      </Button>
    </Space>
  ) : (
    <Button type="primary" onClick={() => setConfirming(true)}>
      {t('Done')}
    </Button>
  );
  const target = collection.trim() || 'todos';
  const curl = curlExample(apiBaseUrl, target, token);
  const script = fetchExample(apiBaseUrl, target, token);
  const jsBlock = jsBlockExample(target);
  const block = { whiteSpace: 'pre-wrap' as const, wordBreak: 'break-all' as const, fontSize: 12, margin: 0 };

  return (
    <Modal
      open
      title={t('API key created')}
      onCancel={() => setConfirming(true)}
      maskClosable={false}
      footer={footer}
      width={720}
    >
      <Alert type="warning" showIcon message={t('Copy this key now. For your security it will not be shown again.')} />
      <Space.Compact style={{ width: '100%', margin: '16px 0' }}>
        <Input readOnly value={token} aria-label={t('API key')} style={{ fontFamily: 'monospace' }} />
        <Button type="primary" onClick={copy}>
          {copied ? t('Copied') : t('Copy')}
        </Button>
      </Space.Compact>
      <Space direction="vertical" style={{ width: '100%' }}>
        <Space>
          <Typography.Text>{t('Collection')}</Typography.Text>
          <Input size="small" value={collection} placeholder="todos" onChange={(event) => setCollection(event.target.value)} />
        </Space>
        <Typography.Text strong>curl</Typography.Text>
        <Typography.Paragraph copyable={{ text: curl }} data-testid="curl-example">
          <pre style={block}>{curl}</pre>
        </Typography.Paragraph>
        <Typography.Text strong>{t('Script or app outside NocoBase')}</Typography.Text>
        <Typography.Paragraph copyable={{ text: script }} data-testid="fetch-example">
          <pre style={block}>{script}</pre>
        </Typography.Paragraph>
        <Typography.Text strong>{t('JS block in this app')}</Typography.Text>
        <Alert
          type="error"
          showIcon
          data-testid="js-block-warning"
          message={t(
            'Never put a key in a JS block: its code is sent to everyone who views the page, and each of them gets the key. A JS block calls this app with the viewer’s own session, as below.',
          )}
        />
        <Typography.Paragraph copyable={{ text: jsBlock }} data-testid="js-block-example">
          <pre style={block}>{jsBlock}</pre>
        </Typography.Paragraph>
      </Space>
    </Modal>
  );
}
