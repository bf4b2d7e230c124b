import { KeyOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Empty, Popconfirm, Space, Table, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import dayjs from 'dayjs';
import React, { useCallback, useEffect, useState } from 'react';
import { AddKeyModal } from './AddKeyModal';
import { type ApiKeyRecord, type CreatedKey, errorMessage, type KeysApi, type Translate } from './api';
import { HandoverNotice } from './HandoverNotice';
import { fromNow, keyStatus } from './key-status';
import { OneTimeKeyModal } from './OneTimeKeyModal';
import { RenameModal } from './RenameModal';
import { windowLabel } from './RestrictionFields';
import { RestrictionsModal } from './RestrictionsModal';
import { roleTitle } from './role-title';
import { UsageCell } from './UsageCell';
import { UsageModal } from './UsageModal';

const STATUS_COLORS = { active: 'green', disabled: 'default', expired: 'red' } as const;
const STATUS_LABELS = { active: 'Active', disabled: 'Disabled', expired: 'Expired' } as const;

export interface ApiKeysPageProps {
  api: KeysApi;
  t: Translate;
  apiBaseUrl: string;
  /** The UI language, for relative times ("in 3 days"). */
  locale?: string;
}

function When({ date, t, empty, locale }: { date: string | null; t: Translate; empty: string; locale?: string }) {
  if (!date) {
    return <Typography.Text type="secondary">{t(empty)}</Typography.Text>;
  }
  return <Tooltip title={dayjs(date).format('YYYY-MM-DD HH:mm')}>{fromNow(date, locale)}</Tooltip>;
}

/** A key's restrictions at a glance: addresses, rate, read-only. */
function RestrictionTags({ apiKey, t }: { apiKey: ApiKeyRecord; t: Translate }) {
  const { allowedIps = [], rateLimit, readOnly } = apiKey;
  if (!allowedIps.length && !rateLimit && !readOnly) {
    return <Typography.Text type="secondary">{t('None')}</Typography.Text>;
  }
  return (
    <Space size={[0, 4]} wrap>
      {allowedIps.length === 1 && <Tag>{allowedIps[0]}</Tag>}
      {allowedIps.length > 1 && (
        <Tooltip title={allowedIps.join(', ')}>
          <Tag>{t('{{count}} IPs', { count: allowedIps.length })}</Tag>
        </Tooltip>
      )}
      {rateLimit && <Tag>{`${rateLimit.limit} ${windowLabel(rateLimit.windowSeconds, t)}`}</Tag>}
      {readOnly && <Tag color="blue">{t('Read-only')}</Tag>}
    </Space>
  );
}

/** Settings → API keys: the signed-in user's keys, and the way to add one. */
export function ApiKeysPage({ api, t, apiBaseUrl, locale }: ApiKeysPageProps) {
  const [page, setPage] = useState({ current: 1, pageSize: 20 });
  const [keys, setKeys] = useState<ApiKeyRecord[]>([]);
  const [total, setTotal] = useState(0);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string>();
  const [adding, setAdding] = useState(false);
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [renaming, setRenaming] = useState<ApiKeyRecord | null>(null);
  const [restricting, setRestricting] = useState<ApiKeyRecord | null>(null);
  const [viewing, setViewing] = useState<ApiKeyRecord | null>(null);

  const load = useCallback(async () => {
    setLoading(true);
    try {
      const result = await api.list(page.current, page.pageSize);
      setKeys(result.data);
      setTotal(result.meta.count);
      setError(undefined);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setLoading(false);
    }
  }, [api, page]);

  useEffect(() => {
    void load();
  }, [load]);

  const act = async (action: () => Promise<void>) => {
    try {
      await action();
      await load();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const columns: ColumnsType<ApiKeyRecord> = [
    {
      title: t('Name'),
      key: 'name',
      render: (_, key) => (
        <Space size="small">
          {key.name}
          {key.imported && (
            <Tooltip title={t('Taken over from the built-in "Auth: API keys" plugin')}>
              <Tag>{t('Imported')}</Tag>
            </Tooltip>
          )}
        </Space>
      ),
    },
    { title: t('Role'), key: 'role', render: (_, key) => roleTitle(key.role?.title ?? key.roleName, t) },
    { title: t('Key'), dataIndex: 'hint', render: (hint: string) => <Typography.Text code style={{ whiteSpace: 'nowrap' }}>{hint}</Typography.Text> },
    { title: t('Created'), dataIndex: 'createdAt', render: (date: string) => <When date={date} t={t} empty="" locale={locale} /> },
    {
      title: t('Expires'),
      key: 'expiresAt',
      render: (_, key) =>
        !key.expiresAt ? (
          <Tag>{t('Never expires')}</Tag>
        ) : keyStatus({ enabled: true, expiresAt: key.expiresAt }) === 'expired' ? (
          <Tag color="red">{t('Expired')}</Tag>
        ) : (
          <When date={key.expiresAt} t={t} empty="" locale={locale} />
        ),
    },
    { title: t('Restrictions'), key: 'restrictions', render: (_, key) => <RestrictionTags apiKey={key} t={t} /> },
    {
      // The last 30 days as a sparkline (a click shows the chart), and when the key was last used.
      title: t('Usage'),
      key: 'usage',
      render: (_, key) => (
        <UsageCell
          apiKey={key}
          api={api}
          t={t}
          locale={locale}
          onOpen={setViewing}
          renderLastUsed={(date) => <When date={date} t={t} empty="Never used" locale={locale} />}
        />
      ),
    },
    {
      title: t('Status'),
      key: 'status',
      render: (_, key) => {
        const status = keyStatus(key);
        return <Tag color={STATUS_COLORS[status]}>{t(STATUS_LABELS[status])}</Tag>;
      },
    },
    {
      title: t('Actions'),
      key: 'actions',
      render: (_, key) => (
        <Space size="small">
          <Button type="link" size="small" onClick={() => act(() => api.update(key.id, { enabled: !key.enabled }))}>
            {key.enabled ? t('Disable') : t('Enable')}
          </Button>
          <Button type="link" size="small" onClick={() => setRenaming(key)}>
            {t('Rename')}
          </Button>
          <Button type="link" size="small" onClick={() => setRestricting(key)}>
            {t('Restrictions')}
          </Button>
          <Popconfirm
            title={t('Delete this API key?')}
            description={t('Anything that uses it stops working at once.')}
            okText={t('Delete')}
            okButtonProps={{ danger: true }}
            cancelText={t('Cancel')}
            onConfirm={() => act(() => api.destroy(key.id))}
          >
            <Button type="link" size="small" danger>
              {t('Delete')}
            </Button>
          </Popconfirm>
        </Space>
      ),
    },
  ];

  return (
    <Card
      title={
        // The host already heads the page with its title: say what a key is instead.
        <Space>
          <KeyOutlined />
          <Typography.Text type="secondary" style={{ fontWeight: 'normal' }}>
            {t('Each key acts as you, limited to the role you pick. Only a hash of it is stored.')}
          </Typography.Text>
        </Space>
      }
      extra={
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)}>
          {t('Add API key')}
        </Button>
      }
    >
      <HandoverNotice api={api} t={t} />
      {error && <Alert type="error" showIcon message={error} closable onClose={() => setError(undefined)} style={{ marginBottom: 16 }} />}
      <Table
        rowKey="id"
        size="middle"
        loading={loading}
        columns={columns}
        dataSource={keys}
        locale={{
          emptyText: (
            <Empty description={t('No API keys yet. Add one to call this app from scripts, servers and mobile apps.')} />
          ),
        }}
        pagination={{
          ...page,
          total,
          showSizeChanger: true,
          onChange: (current, pageSize) => setPage({ current, pageSize }),
        }}
      />
      <AddKeyModal
        open={adding}
        api={api}
        t={t}
        onCancel={() => setAdding(false)}
        onCreated={(key) => {
          setAdding(false);
          setCreated(key);
          void load();
        }}
      />
      <OneTimeKeyModal createdKey={created} apiBaseUrl={apiBaseUrl} t={t} onClose={() => setCreated(null)} />
      <RestrictionsModal
        apiKey={restricting}
        t={t}
        onCancel={() => setRestricting(null)}
        onSave={async (restrictions) => {
          await api.update(restricting!.id, restrictions);
          setRestricting(null);
          await load();
        }}
      />
      <UsageModal apiKey={viewing} api={api} t={t} locale={locale} onClose={() => setViewing(null)} />
      <RenameModal
        name={renaming?.name ?? null}
        t={t}
        onCancel={() => setRenaming(null)}
        onRename={(name) =>
          act(async () => {
            await api.update(renaming!.id, { name });
            setRenaming(null);
          })
        }
      />
    </Card>
  );
}
