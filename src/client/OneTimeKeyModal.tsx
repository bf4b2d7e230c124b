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

export function jsBlockExample(apiBaseUrl: string, collection: string, token: string) {
  return [
    `const axios = await ctx.requireAsync('https://cdn.jsdelivr.net/npm/axios@1.6.0/dist/axios.min.js');`,
    `const res = await axios.get('${apiBaseUrl}${collection}:list', {`,
    `  headers: { Authorization: 'Bearer ${token}' },`,
    `});`,
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
  const jsBlock = jsBlockExample(apiBaseUrl, target, token);
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
        <Typography.Text strong>{t('JS block')}</Typography.Text>
        <Typography.Paragraph copyable={{ text: jsBlock }} data-testid="js-example">
          <pre style={block}>{jsBlock}</pre>
        </Typography.Paragraph>
      </Space>
    </Modal>
  );
}
