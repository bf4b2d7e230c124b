import { Alert, DatePicker, Form, Input, Modal, Select } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import React, { useEffect, useState } from 'react';
import { EXPIRY_CHOICES, type ExpiryChoice, MAX_EXPIRY_DAYS } from '../constants';
import { type CreatedKey, errorMessage, type KeysApi, type NewKeyValues, type RoleOption, type Translate } from './api';
import { nameRules } from './name-rules';
import { RestrictionFields, type RestrictionValues, toRestrictions } from './RestrictionFields';
import { roleTitle } from './role-title';

const EXPIRY_LABELS: Record<ExpiryChoice, string> = {
  '1d': '1 day',
  '7d': '7 days',
  '30d': '30 days',
  '90d': '90 days',
  custom: 'Custom date',
  never: 'Never',
};

interface FormValues extends RestrictionValues {
  name: string;
  role: string;
  expiry: ExpiryChoice;
  customDate?: Dayjs;
}

export interface AddKeyModalProps {
  open: boolean;
  api: KeysApi;
  t: Translate;
  onCancel(): void;
  onCreated(key: CreatedKey): void;
}

export function toNewKeyValues({ name, role, expiry, customDate, ...restrictions }: FormValues): NewKeyValues {
  const values: NewKeyValues = { name: name.trim(), role: { name: role }, ...toRestrictions(restrictions) };
  if (expiry === 'custom') {
    values.expiresAt = customDate!.toISOString();
  } else {
    values.expiresIn = expiry;
  }
  return values;
}

export function AddKeyModal({ open, api, t, onCancel, onCreated }: AddKeyModalProps) {
  const [form] = Form.useForm<FormValues>();
  const [roles, setRoles] = useState<RoleOption[]>();
  const [serverError, setServerError] = useState<string>();
  const [submitting, setSubmitting] = useState(false);
  const expiry = Form.useWatch('expiry', form);

  useEffect(() => {
    if (!open) {
      return;
    }
    setServerError(undefined);
    api.roles().then(setRoles, (error) => setServerError(errorMessage(error)));
  }, [open, api]);

  const submit = async () => {
    let values: FormValues;
    try {
      values = await form.validateFields();
    } catch {
      return; // antd shows each field's message beside it.
    }
    setSubmitting(true);
    setServerError(undefined);
    try {
      const created = await api.create(toNewKeyValues(values));
      form.resetFields();
      onCreated(created);
    } catch (error) {
      setServerError(errorMessage(error));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <Modal
      open={open}
      title={t('Add API key')}
      okText={t('Submit')}
      cancelText={t('Cancel')}
      confirmLoading={submitting}
      onOk={submit}
      onCancel={onCancel}
      destroyOnClose
    >
      <Form form={form} layout="vertical" initialValues={{ expiry: '30d', rateLimitWindow: 60 }} preserve={false}>
        {serverError && <Alert type="error" showIcon message={serverError} style={{ marginBottom: 16 }} />}
        <Form.Item
          name="name"
          label={t('Name')}
          rules={nameRules(t)}
        >
          <Input placeholder={t('What will use this key?')} />
        </Form.Item>
        <Form.Item name="role" label={t('Role')} rules={[{ required: true, message: t('Pick one of your roles.') }]}>
          <Select
            loading={!roles}
            placeholder={t('The key acts with this role only')}
            options={(roles ?? []).map((role) => ({ value: role.name, label: roleTitle(role.title, t) }))}
          />
        </Form.Item>
        <Form.Item name="expiry" label={t('Expires')}>
          <Select options={EXPIRY_CHOICES.map((value) => ({ value, label: t(EXPIRY_LABELS[value]) }))} />
        </Form.Item>
        {expiry === 'custom' && (
          <Form.Item name="customDate" label={t('Expiry date')} rules={[{ required: true, message: t('Pick a date.') }]}>
            <DatePicker
              showTime
              disabledDate={(day) => day.isBefore(dayjs()) || day.isAfter(dayjs().add(MAX_EXPIRY_DAYS, 'day'))}
            />
          </Form.Item>
        )}
        {expiry === 'never' && (
          <Alert
            type="warning"
            showIcon
            message={t('A key that never expires works until you delete it. Prefer an expiry where you can.')}
          />
        )}
        <RestrictionFields t={t} />
      </Form>
    </Modal>
  );
}
