import { Alert, Button, Descriptions, Modal, Spin, Table, Typography } from 'antd';
import dayjs from 'dayjs';
import React, { useEffect, useState } from 'react';
import { type ApiKeyRecord, errorMessage, type KeysApi, type KeyUsage, type Translate } from './api';
import { fromNow } from './key-status';
import { refusalLabel } from './refusal-labels';
import { formatCount, UsageChart, UsageLegend, usageSummary, usageTotals } from './UsageChart';

export const USAGE_DAYS_SHOWN = 30;

export interface UsageModalProps {
  apiKey: ApiKeyRecord | null;
  api: KeysApi;
  t: Translate;
  locale?: string;
  onClose(): void;
}

/** What a key's usage looks like once it has arrived. */
export function UsageDetails({ usage, t, locale }: { usage: KeyUsage; t: Translate; locale?: string }) {
  const { byReason } = usageTotals(usage.data);
  const { lastUsedAt, lastUsedIp } = usage.meta;
  return (
    <>
      <Typography.Title level={5} style={{ marginTop: 0 }}>
        {usageSummary(usage.data, t, locale)}
      </Typography.Title>
      <UsageLegend t={t} />
      <UsageChart days={usage.data} t={t} locale={locale} />
      <Typography.Title level={5}>{t('Refusals by reason')}</Typography.Title>
      {byReason.length ? (
        <Table
          size="small"
          rowKey="code"
          pagination={false}
          dataSource={byReason}
          columns={[
            { title: t('Reason'), key: 'reason', render: (_, { code }) => refusalLabel(code, t) },
            { title: t('Code'), dataIndex: 'code', render: (code: string) => <Typography.Text code>{code}</Typography.Text> },
            { title: t('Requests'), dataIndex: 'count', align: 'right', render: (count: number) => formatCount(count, locale) },
          ]}
        />
      ) : (
        <Typography.Text type="secondary">{t('No refusals.')}</Typography.Text>
      )}
      <Descriptions size="small" column={2} style={{ marginTop: 16 }}>
        <Descriptions.Item label={t('Last used')}>
          {lastUsedAt ? `${dayjs(lastUsedAt).format('YYYY-MM-DD HH:mm')} (${fromNow(lastUsedAt, locale)})` : t('Never used')}
        </Descriptions.Item>
        <Descriptions.Item label={t('Last used from')}>
          {lastUsedIp ? <Typography.Text code>{lastUsedIp}</Typography.Text> : '–'}
        </Descriptions.Item>
      </Descriptions>
    </>
  );
}

/** A key's details: its last 30 days as a chart, its refusals by reason, when and where last used. */
export function UsageModal({ apiKey, api, t, locale, onClose }: UsageModalProps) {
  const [usage, setUsage] = useState<KeyUsage>();
  const [error, setError] = useState<string>();
  const id = apiKey?.id;

  useEffect(() => {
    setUsage(undefined);
    setError(undefined);
    if (id === undefined) {
      return;
    }
    let current = true;
    api.usage(id, USAGE_DAYS_SHOWN).then(
      (result) => current && setUsage(result),
      (e) => current && setError(errorMessage(e)),
    );
    return () => {
      current = false;
    };
  }, [api, id]);

  return (
    <Modal
      open={apiKey !== null}
      title={apiKey ? `${t('Usage')}: ${apiKey.name}` : ''}
      width={800}
      onCancel={onClose}
      footer={<Button onClick={onClose}>{t('Close')}</Button>}
      destroyOnClose
    >
      {error ? (
        <Alert type="error" showIcon message={error} />
      ) : usage ? (
        <UsageDetails usage={usage} t={t} locale={locale} />
      ) : (
        <div style={{ textAlign: 'center', padding: 48 }}>
          <Spin />
        </div>
      )}
    </Modal>
  );
}
