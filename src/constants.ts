/** Shared by the server and client halves. */

export const PACKAGE_NAME = '@keyward/plugin-api-keys';
/** i18n namespace: the host loads `<package>/dist/locale/<lang>.json` under the package name. */
export const NAMESPACE = PACKAGE_NAME;

export const COLLECTION = 'apiKeys';
export const TABLE = 'keywardApiKeys';
/** Requests per key, day and outcome, for `apiKeys:usage`. */
export const USAGE_COLLECTION = 'apiKeyUsage';
export const USAGE_TABLE = 'keywardApiKeyUsage';
/** Days of usage kept, and the most `apiKeys:usage` answers. */
export const USAGE_DAYS = 90;
/** Auth type and the built-in authenticator that uses it. */
export const AUTH_TYPE = 'keyward';
export const AUTHENTICATOR = 'keyward';

/** Every key starts with this, so scanners and people can tell it apart from a session token. */
export const KEY_PREFIX = 'keyward_';
export const KEY_HEADER = 'X-API-Key';

/** NocoBase's own "Auth: API keys" plugin, which Keyward replaces, and the table it keeps its keys in. */
export const BUILT_IN_PLUGIN = 'api-keys';
export const BUILT_IN_TABLE = 'apiKeys';
/** The resource of the one-time notice about keys imported from the built-in plugin. */
export const HANDOVER_RESOURCE = 'apiKeysHandover';
/** Every resource Keyward serves; each has guards of its own. */
export const OWN_RESOURCES: readonly string[] = [COLLECTION, USAGE_COLLECTION, HANDOVER_RESOURCE];

/** Where the settings page lives: /admin/settings/<SETTINGS_KEY>. */
export const SETTINGS_KEY = 'keyward-api-keys';

/** The expiry choices of the form, as `expiresIn` values; 'custom' sends a date instead. */
export const EXPIRY_CHOICES = ['1d', '7d', '30d', '90d', 'custom', 'never'] as const;
export type ExpiryChoice = (typeof EXPIRY_CHOICES)[number];
export const NAME_MAX_LENGTH = 100;
/** The lastUsedIp column: an IPv6 address with an IPv4 tail, the longest an address is written. */
export const IP_MAX_LENGTH = 45;
/** Longest expiry, in days: ten years, leap days included (`'10y'` is 3,652.5 days, and ten calendar years from any day fit). */
export const MAX_EXPIRY_DAYS = 3653;

/** One code per reason a request or an action is refused. */
export const ErrorCode = {
  INVALID: 'API_KEY_INVALID',
  EXPIRED: 'API_KEY_EXPIRED',
  DISABLED: 'API_KEY_DISABLED',
  ROLE_REVOKED: 'API_KEY_ROLE_REVOKED',
  OWNER_GONE: 'API_KEY_OWNER_GONE',
  ROLE_SWITCH_REFUSED: 'API_KEY_ROLE_SWITCH_REFUSED',
  IN_QUERY: 'API_KEY_IN_QUERY',
  MANAGED_BY_KEY: 'API_KEY_CANNOT_MANAGE_KEYS',
  ROLE_NOT_FOUND: 'API_KEY_ROLE_NOT_FOUND',
  BAD_INPUT: 'API_KEY_BAD_INPUT',
  NOT_FOUND: 'API_KEY_NOT_FOUND',
  UNKNOWN_RESOURCE: 'API_KEY_UNKNOWN_RESOURCE',
  ACTION_NOT_ALLOWED: 'API_KEY_ACTION_NOT_ALLOWED',
  METHOD_NOT_ALLOWED: 'API_KEY_METHOD_NOT_ALLOWED',
  ACCOUNT_ACTION_REFUSED: 'API_KEY_ACCOUNT_ACTION_REFUSED',
  CONFIGURATION_REFUSED: 'API_KEY_CONFIGURATION_REFUSED',
  IP_NOT_ALLOWED: 'API_KEY_IP_NOT_ALLOWED',
  RATE_LIMITED: 'API_KEY_RATE_LIMITED',
  READ_ONLY: 'API_KEY_READ_ONLY',
  TOO_MANY_FAILURES: 'API_KEY_TOO_MANY_FAILURES',
  BUSY: 'API_KEY_SERVER_BUSY',
  NO_PERMISSION: 'API_KEY_NO_PERMISSION',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
