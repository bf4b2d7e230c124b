/** The small interface the settings page needs from the host: easy to fake in tests. */
import { HANDOVER_RESOURCE } from '../constants';

export interface RoleOption {
  name: string;
  title: string;
}

export interface ApiKeyRecord {
  id: number;
  name: string;
  roleName: string;
  role?: RoleOption | null;
  hint: string;
  createdAt: string;
  expiresAt: string | null;
  enabled: boolean;
  /** Taken over from the built-in "Auth: API keys" plugin. */
  imported?: boolean;
  lastUsedAt: string | null;
  allowedIps?: string[];
  rateLimit?: Restrictions['rateLimit'];
  readOnly?: boolean;
}

/** What a key may be limited to, beyond its role. */
export interface Restrictions {
  allowedIps: string[];
  rateLimit: { limit: number; windowSeconds: number } | null;
  readOnly: boolean;
}

/** What the server says, once, about the keys taken over from the built-in plugin. */
export interface HandoverNotice {
  pending: boolean;
  imported?: number;
  skipped?: number;
  failed?: number;
  plaintextCopies?: number;
}

export interface CreatedKey extends ApiKeyRecord {
  token: string;
}

export interface NewKeyValues extends Partial<Restrictions> {
  name: string;
  role: { name: string };
  expiresIn?: string;
  expiresAt?: string;
}

export interface KeyPage {
  data: ApiKeyRecord[];
  meta: { count: number; page: number; pageSize: number };
}

/** One UTC day of a key's use: requests answered, refused, and refused by code (or status). */
export interface UsageDay {
  date: string;
  ok: number;
  refused: number;
  refusedBy: Record<string, number>;
}

/** `apiKeys:usage`: a key's days, oldest first, and when and from where it was last used. */
export interface KeyUsage {
  data: UsageDay[];
  meta: { lastUsedAt: string | null; lastUsedIp: string | null };
}

export interface KeysApi {
  list(page: number, pageSize: number): Promise<KeyPage>;
  create(values: NewKeyValues): Promise<CreatedKey>;
  update(id: number, values: Partial<Pick<ApiKeyRecord, 'name' | 'enabled'> & Restrictions>): Promise<void>;
  destroy(id: number): Promise<void>;
  /** A key's requests per day for the last `days` days. */
  usage(id: number, days: number): Promise<KeyUsage>;
  /** The signed-in user's roles, the pseudo-roles left out. */
  roles(): Promise<RoleOption[]>;
  /** The takeover notice; null for those who may not manage plugins. */
  handover(): Promise<HandoverNotice | null>;
  eraseBuiltInCopies(): Promise<void>;
  dismissHandover(): Promise<void>;
}

export type Translate = (text: string, options?: Record<string, unknown>) => string;

type Request = (config: {
  url: string;
  method?: 'get' | 'post';
  params?: Record<string, unknown>;
  data?: unknown;
  skipNotify?: boolean;
}) => Promise<{ data: any }>;

const PSEUDO_ROLES = new Set(['__union__', 'anonymous']);

/** Builds the interface on the host's API client (`app.apiClient.request`). */
export function createKeysApi(request: Request): KeysApi {
  // Errors are shown where they happen, not as the host's global toast.
  const call = (config: Parameters<Request>[0]) => request({ skipNotify: true, ...config });
  return {
    async list(page, pageSize) {
      const res = await call({ url: 'apiKeys:list', params: { page, pageSize, sort: ['-createdAt'] } });
      return { data: res.data.data, meta: res.data.meta };
    },
    async create(values) {
      return (await call({ url: 'apiKeys:create', method: 'post', data: values })).data.data;
    },
    async update(id, values) {
      await call({ url: 'apiKeys:update', method: 'post', params: { filterByTk: id }, data: values });
    },
    async destroy(id) {
      await call({ url: 'apiKeys:destroy', method: 'post', params: { filterByTk: id } });
    },
    async usage(id, days) {
      const res = await call({ url: 'apiKeys:usage', params: { filterByTk: id, days } });
      return { data: res.data.data ?? [], meta: { lastUsedAt: null, lastUsedIp: null, ...res.data.meta } };
    },
    async roles() {
      const user = (await call({ url: 'auth:check' })).data.data;
      return ((user?.roles ?? []) as RoleOption[])
        .filter((role) => !PSEUDO_ROLES.has(role.name))
        .map(({ name, title }) => ({ name, title: title || name }));
    },
    async handover() {
      try {
        return (await call({ url: `${HANDOVER_RESOURCE}:get` })).data.data;
      } catch {
        return null;
      }
    },
    async eraseBuiltInCopies() {
      await call({ url: `${HANDOVER_RESOURCE}:erase`, method: 'post' });
    },
    async dismissHandover() {
      await call({ url: `${HANDOVER_RESOURCE}:dismiss`, method: 'post' });
    },
  };
}

/** The server's own words for a failed call: `{"errors":[{"message"}]}`, else the error's. */
export function errorMessage(error: unknown): string {
  const response = (error as { response?: { data?: { errors?: Array<{ message?: string }> } } })?.response;
  return response?.data?.errors?.[0]?.message ?? (error as Error)?.message ?? String(error);
}
