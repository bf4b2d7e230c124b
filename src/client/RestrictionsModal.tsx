import { Alert, Form, Modal } from 'antd';
import React, { useState } from 'react';
import { type ApiKeyRecord, errorMessage, type Restrictions, type Translate } from './api';
import { fromRestrictions, RestrictionFields, type RestrictionValues, toRestrictions } from './RestrictionFields';

export interface RestrictionsModalProps {
  apiKey: ApiKeyRecord | null;
  t: Translate;
  onCancel(): void;
  onSave(restrictions: Restrictions): Promise<void>;
}

/** A key's "Restrictions" action: where from, how often, reads only. */
export function RestrictionsModal({ apiKey, t, onCancel, onSave }: RestrictionsModalProps) {
  const [form] = Form.useForm<RestrictionValues>();
  const [error, setError] = useState<string>();
  const submit = async () => {
    const values = await form.validateFields().catch(() => null);
    if (!values) {
      return;
    }
    try {
      await onSave(toRestrictions(values));
      setError(undefined);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return (
    <Modal
      open={apiKey !== null}
      title={apiKey ? `${t('Restrictions')}: ${apiKey.name}` : ''}
      okText={t('Save')}
      cancelText={t('Cancel')}
      onOk={submit}
      onCancel={onCancel}
      destroyOnClose
    >
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical" initialValues={fromRestrictions(apiKey ?? {})} preserve={false}>
        <RestrictionFields t={t} windowSeconds={apiKey?.rateLimit?.windowSeconds} />
      </Form>
    </Modal>
  );
}
