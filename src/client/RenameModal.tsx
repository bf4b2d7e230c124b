import { Form, Input, Modal } from 'antd';
import React from 'react';
import type { Translate } from './api';
import { nameRules } from './name-rules';

export interface RenameModalProps {
  name: string | null;
  t: Translate;
  onCancel(): void;
  onRename(name: string): Promise<void>;
}

export function RenameModal({ name, t, onCancel, onRename }: RenameModalProps) {
  const [form] = Form.useForm<{ name: string }>();
  const submit = async () => {
    const values = await form.validateFields().catch(() => null);
    if (values) {
      await onRename(values.name.trim());
    }
  };
  return (
    <Modal open={name !== null} title={t('Rename')} okText={t('Save')} onOk={submit} onCancel={onCancel} destroyOnClose>
      <Form form={form} layout="vertical" initialValues={{ name }} preserve={false}>
        <Form.Item
          name="name"
          label={t('Name')}
          rules={nameRules(t)}
        >
          <Input />
        </Form.Item>
      </Form>
    </Modal>
  );
}
