import type { Context } from '@nocobase/actions';
import { ErrorCode, NAMESPACE } from '../constants';

/** A refusal with its HTTP status, its code and an en-US message that doubles as the i18n key. */
export class KeywardError extends Error {
  /** Read by the host's error handler: a refusal is expected traffic, not a server fault. */
  readonly logLevel = 'warn';

  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 413 | 415 | 429,
    readonly code: ErrorCode,
    message: string,
    readonly params: Record<string, unknown> = {},
    /** Sent with the refusal, such as `Retry-After`. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The refusal's message in the request's language. */
export function translatedMessage(ctx: Context, error: KeywardError): string {
  // JSON, not HTML: a value the caller sent (an allowed-IP entry, `10.0.0.0/33`) stays as sent;
  // i18next would write `&#x2F;` for its slash. Whoever shows it escapes it (React does).
  return typeof ctx.t === 'function'
    ? ctx.t(error.message, { ns: NAMESPACE, ...error.params, interpolation: { escapeValue: false } })
    : error.message;
}

/**
 * For the host's error handler: a refusal thrown where no request is at hand (a database hook,
 * code of the host's that wraps it) still answers with its status, code and translated message.
 */
export function renderKeywardError(error: KeywardError, ctx: Context) {
  ctx.set(error.headers);
  ctx.status = error.status;
  ctx.body = { errors: [{ message: translatedMessage(ctx, error), code: error.code }] };
}

/** Renders as `{"errors":[{"message","code"}]}` through the host's error handler. */
export function throwKeywardError(ctx: Context, error: KeywardError): never {
  const message = translatedMessage(ctx, error);
  // Set now for the host's error handler, and on the error for Koa's own, which resets headers.
  // (The host's ACL also runs its middlewares on stand-in contexts that have no `set`.)
  if (Object.keys(error.headers).length) {
    ctx.set(error.headers);
  }
  // warn, not error: a refused key is expected traffic, and nothing here carries the key itself.
  return ctx.throw(error.status, { message, code: error.code, logLevel: 'warn', headers: error.headers }) as never;
}

export const refusals = {
  invalid: () => new KeywardError(401, ErrorCode.INVALID, 'Invalid API key.'),
  expired: () => new KeywardError(401, ErrorCode.EXPIRED, 'This API key has expired.'),
  disabled: () => new KeywardError(401, ErrorCode.DISABLED, 'This API key is disabled.'),
  ownerGone: () => new KeywardError(401, ErrorCode.OWNER_GONE, 'The owner of this API key no longer exists.'),
  roleRevoked: () =>
    new KeywardError(401, ErrorCode.ROLE_REVOKED, 'The owner of this API key no longer holds its role.'),
  roleSwitch: () =>
    new KeywardError(
      403,
      ErrorCode.ROLE_SWITCH_REFUSED,
      'An API key acts only as its own role; the X-Role header cannot switch it.',
    ),
  inQuery: () =>
    new KeywardError(
      401,
      ErrorCode.IN_QUERY,
      'API keys are accepted only in the Authorization or X-API-Key header, never in the URL.',
    ),
  twoCredentials: () =>
    new KeywardError(400, ErrorCode.BAD_INPUT, 'Send an API key in X-API-Key or in Authorization, with no other token beside it.'),
  managedByKey: () =>
    new KeywardError(403, ErrorCode.MANAGED_BY_KEY, 'A request made with an API key cannot read or manage API keys.'),
  roleNotFound: () => new KeywardError(400, ErrorCode.ROLE_NOT_FOUND, 'Role not found'),
  notFound: () => new KeywardError(404, ErrorCode.NOT_FOUND, 'API key not found'),
  unknownResource: () => new KeywardError(404, ErrorCode.UNKNOWN_RESOURCE, 'There is no such resource, action or association.'),
  actionNotAllowed: () =>
    new KeywardError(
      403,
      ErrorCode.ACTION_NOT_ALLOWED,
      'API keys are managed only through apiKeys:list, get, usage, create, update and destroy.',
    ),
  methodNotAllowed: (method = 'GET') =>
    new KeywardError(405, ErrorCode.METHOD_NOT_ALLOWED, 'API keys cannot be created, changed or deleted with {{method}}.', { method }),
  accountActionRefused: () =>
    new KeywardError(
      403,
      ErrorCode.ACCOUNT_ACTION_REFUSED,
      'A request made with an API key cannot sign in, change its account, or reach this action.',
    ),
  configurationRefused: () =>
    new KeywardError(
      403,
      ErrorCode.CONFIGURATION_REFUSED,
      "A request made with an API key works on data; it cannot change the app's configuration (plugins, collections, users and roles, permissions, interface, workflows, SQL, settings).",
    ),
  ipNotAllowed: () => new KeywardError(403, ErrorCode.IP_NOT_ALLOWED, 'This API key may not be used from this address.'),
  readOnly: () => new KeywardError(403, ErrorCode.READ_ONLY, 'This API key is read-only: it may only read.'),
  rateLimited: (seconds = 1) =>
    new KeywardError(
      429,
      ErrorCode.RATE_LIMITED,
      'This API key is over its rate limit; try again in {{seconds}} seconds.',
      { seconds },
      { 'Retry-After': String(seconds) },
    ),
  tooManyFailures: (seconds = 1) =>
    new KeywardError(
      429,
      ErrorCode.TOO_MANY_FAILURES,
      'Too many refused API keys from this address; try again in {{seconds}} seconds.',
      { seconds },
      { 'Retry-After': String(seconds) },
    ),
  busy: (action: string) =>
    new KeywardError(
      429,
      ErrorCode.BUSY,
      'Another {{action}} is running on this server; try again in a moment.',
      { action },
      { 'Retry-After': '1' },
    ),
  badInput: (message: string, params?: Record<string, unknown>) =>
    new KeywardError(400, ErrorCode.BAD_INPUT, message, params),
  badExpiresIn: () =>
    new KeywardError(
      400,
      ErrorCode.BAD_INPUT,
      'Expiry must be never, a number of seconds, or a duration such as 12h, 7d, 2w or 1y, at most 10 years.',
    ),
};
