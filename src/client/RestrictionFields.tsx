import { Checkbox, Form, InputNumber, Select, Space } from 'antd';
import React from 'react';
import type { Restrictions, Translate } from './api';
import { isIpEntry } from './ip-entries';

/** The rate-limit windows the form offers, in seconds, with their labels. */
const WINDOWS: [seconds: number, label: string][] = [
  [1, 'per second'],
  [60, 'per minute'],
  [3600, 'per hour'],
  [86400, 'per day'],
];

export interface RestrictionValues {
  allowedIps?: string[];
  rateLimitCount?: number | null;
  /** Seconds. */
  rateLimitWindow?: number;
  readOnly?: boolean;
}

export function toRestrictions({ allowedIps, rateLimitCount, rateLimitWindow, readOnly }: RestrictionValues): Restrictions {
  return {
    allowedIps: (allowedIps ?? []).map((entry) => entry.trim()),
    rateLimit: rateLimitCount ? { limit: rateLimitCount, windowSeconds: rateLimitWindow ?? 60 } : null,
    readOnly: readOnly === true,
  };
}

export function fromRestrictions({ allowedIps, rateLimit, readOnly }: Partial<Restrictions>): RestrictionValues {
  return {
    allowedIps: allowedIps ?? [],
    rateLimitCount: rateLimit?.limit ?? null,
    rateLimitWindow: rateLimit?.windowSeconds ?? 60,
    readOnly: readOnly === true,
  };
}

/** "100 per minute", or "100 per 90 s" for a window set through the API. */
export function windowLabel(seconds: number, t: Translate): string {
  const known = WINDOWS.find(([value]) => value === seconds);
  return known ? t(known[1]) : t('per {{seconds}} s', { seconds });
}

/** Allowed IPs, rate limit and read-only: in the add form and in a key's Restrictions dialog. */
export function RestrictionFields({ t, windowSeconds }: { t: Translate; windowSeconds?: number }) {
  const windows = WINDOWS.map(([value]) => value);
  if (windowSeconds && !windows.includes(windowSeconds)) {
    windows.push(windowSeconds);
  }
  return (
    <>
      <Form.Item
        name="allowedIps"
        label={t('Allowed IPs')}
        extra={t('Addresses or CIDR ranges, such as 203.0.113.7 or 10.0.0.0/8. Empty: any address.')}
        rules={[
          {
            validator: async (_, entries: string[] = []) => {
              const bad = entries.find((entry) => !isIpEntry(entry));
              if (bad !== undefined) {
                throw new Error(t('{{entry}} is not an IP address or a CIDR range.', { entry: bad }));
              }
            },
          },
        ]}
      >
        <Select mode="tags" open={false} tokenSeparators={[',', ' ', ';']} placeholder="203.0.113.7, 10.0.0.0/8" />
      </Form.Item>
      <Form.Item label={t('Rate limit')} extra={t('Empty: no limit.')}>
        <Space.Compact>
          <Form.Item name="rateLimitCount" noStyle>
            <InputNumber min={1} max={1_000_000} precision={0} placeholder={t('Requests')} style={{ width: 140 }} />
          </Form.Item>
          <Form.Item name="rateLimitWindow" noStyle>
            <Select style={{ width: 160 }} options={windows.map((value) => ({ value, label: windowLabel(value, t) }))} />
          </Form.Item>
        </Space.Compact>
      </Form.Item>
      <Form.Item name="readOnly" valuePropName="checked" extra={t('The key may only read, within its role.')}>
        <Checkbox>{t('Read-only')}</Checkbox>
      </Form.Item>
    </>
  );
}
