import { vi } from 'vitest';
import type { ApiKeyRecord, KeyUsage, KeysApi, Translate, UsageDay } from '../api';

/** English as the keys are written, with i18next-style {{placeholders}} filled in. */
export const t: Translate = (text, options = {}) =>
  text.replace(/{{(\w+)}}/g, (_, name: string) => String(options[name] ?? ''));

export const ROLES = [
  { name: 'todos-api', title: 'To Dos API Role' },
  // As the host stores its own roles' titles.
  { name: 'member', title: '{{t("Member")}}' },
];

export function key(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: 1,
    name: 'ci script',
    roleName: 'todos-api',
    role: ROLES[0],
    hint: 'keyward_…Ab12',
    createdAt: new Date(Date.now() - 3600_000).toISOString(),
    expiresAt: new Date(Date.now() + 7 * 86400_000).toISOString(),
    enabled: true,
    lastUsedAt: null,
    ...overrides,
  };
}

export function fakeApi(keys: ApiKeyRecord[] = []): KeysApi & { [K in keyof KeysApi]: ReturnType<typeof vi.fn> } {
  return {
    list: vi.fn(async () => ({ data: keys, meta: { count: keys.length, page: 1, pageSize: 20 } })),
    create: vi.fn(async (values) => ({ ...key({ id: 99, name: values.name }), token: 'keyward_SECRET' })),
    update: vi.fn(async () => undefined),
    destroy: vi.fn(async () => undefined),
    usage: vi.fn(async (_id: number, days: number) => usage(days)),
    roles: vi.fn(async () => ROLES),
    handover: vi.fn(async () => null),
    eraseBuiltInCopies: vi.fn(async () => undefined),
    dismissHandover: vi.fn(async () => undefined),
  } as any;
}

/** `days` UTC days ending today, oldest first, with the given days (by date) filled in. */
export function usage(days = 30, filled: Partial<UsageDay>[] = [], meta: Partial<KeyUsage['meta']> = {}): KeyUsage {
  const today = Date.now();
  const data = Array.from({ length: days }, (_, i) => {
    const date = new Date(today - (days - 1 - i) * 86400_000).toISOString().slice(0, 10);
    return { date, ok: 0, refused: 0, refusedBy: {}, ...filled.find((day) => day.date === date) };
  });
  return { data, meta: { lastUsedAt: null, lastUsedIp: null, ...meta } };
}

/** The date `daysAgo` UTC days before today, as the server writes it. */
export const dayAgo = (daysAgo: number) => new Date(Date.now() - daysAgo * 86400_000).toISOString().slice(0, 10);
