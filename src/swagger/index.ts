/**
 * Keyward's OpenAPI document, for NocoBase's "API documentation" plugin (`@nocobase/plugin-api-doc`).
 * That plugin requires `<package>/dist/swagger` of every enabled plugin and merges the default
 * export under its own base document (servers `/api`, the `api-key` bearer scheme, app version).
 * The codes, limits and columns come from the code that enforces them.
 */
import { COLLECTION, ErrorCode, KEY_HEADER, KEY_PREFIX, MAX_EXPIRY_DAYS, NAME_MAX_LENGTH, USAGE_DAYS } from '../constants';
import { type KeywardError, refusals } from '../server/errors';
import { MAX_ALLOWED_IPS } from '../server/restrictions/allowed-ips';
import { LISTABLE_COLUMNS } from '../server/restrictions/list-query';
import { MAX_RATE_LIMIT, MAX_RATE_WINDOW_SECONDS } from '../server/restrictions/rate-limit';

type Schema = Record<string, unknown>;
type Action = 'list' | 'get' | 'usage' | 'create' | 'update' | 'destroy';

export const TITLE = 'Keyward: API keys';
/** The host's bearer scheme (its base document's name): a session token or a Keyward key. */
export const KEY_SCHEME = 'api-key';
/** Managing keys needs a signed-in session: a request made with a key cannot. */
export const SESSION_SCHEME = 'nocobase-session';
/** Largest `pageSize` that `apiKeys:list` takes. */
export const PAGE_SIZE_MAX = 200;

const tag = COLLECTION;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema) => ({ 'application/json': { schema } });
const EXAMPLE_HINT = `${KEY_PREFIX}…E4oj`;
const MAX_EXPIRY_SECONDS = MAX_EXPIRY_DAYS * 24 * 60 * 60;

/** The record columns a key is answered with, beyond what LISTABLE_COLUMNS types. */
const COLUMN_DOCS: Record<string, Schema> = {
  id: { format: 'int64', example: 2 },
  name: { maxLength: NAME_MAX_LENGTH, example: 'nightly export', description: 'Unique among your keys.' },
  roleName: { example: 'todos_api_role', description: 'The role the key acts as.' },
  hint: { example: EXAMPLE_HINT, description: 'Prefix and last 4 characters, to recognise the key.' },
  expiresAt: { nullable: true, description: '`null`: never expires.' },
  enabled: { example: true },
  imported: { example: false, description: 'Taken over from the built-in "Auth: API keys" plugin.' },
  readOnly: { example: false, description: 'The key may only read within its role.' },
  lastUsedAt: { nullable: true, description: 'Updated at most once a minute.' },
  createdById: { example: 1, description: 'The owner.' },
};
const COLUMN_TYPES: Record<string, Schema> = {
  integer: { type: 'integer' },
  string: { type: 'string' },
  boolean: { type: 'boolean' },
  date: { type: 'string', format: 'date-time' },
};
const COLUMNS = Object.keys(LISTABLE_COLUMNS);

/** Every refusal of ours: its status and an example of its message. */
const REFUSALS: Record<string, KeywardError> = {
  [ErrorCode.INVALID]: refusals.invalid(),
  [ErrorCode.EXPIRED]: refusals.expired(),
  [ErrorCode.DISABLED]: refusals.disabled(),
  [ErrorCode.ROLE_REVOKED]: refusals.roleRevoked(),
  [ErrorCode.OWNER_GONE]: refusals.ownerGone(),
  [ErrorCode.IN_QUERY]: refusals.inQuery(),
  [ErrorCode.ROLE_SWITCH_REFUSED]: refusals.roleSwitch(),
  [ErrorCode.MANAGED_BY_KEY]: refusals.managedByKey(),
  [ErrorCode.ROLE_NOT_FOUND]: refusals.roleNotFound(),
  [ErrorCode.NOT_FOUND]: refusals.notFound(),
  [ErrorCode.METHOD_NOT_ALLOWED]: refusals.methodNotAllowed(),
  [ErrorCode.IP_NOT_ALLOWED]: refusals.ipNotAllowed(),
  [ErrorCode.RATE_LIMITED]: refusals.rateLimited(42),
  [ErrorCode.READ_ONLY]: refusals.readOnly(),
  [ErrorCode.TOO_MANY_FAILURES]: refusals.tooManyFailures(42),
};

/** When each code is answered; `API_KEY_BAD_INPUT` is told per action. */
const WHEN: Record<string, string> = {
  [ErrorCode.INVALID]: 'unknown, deleted, malformed or mistyped key',
  [ErrorCode.EXPIRED]: "the key's expiry has passed",
  [ErrorCode.DISABLED]: 'the key is disabled',
  [ErrorCode.ROLE_REVOKED]: "the key's owner no longer holds its role",
  [ErrorCode.OWNER_GONE]: "the key's owner no longer exists",
  [ErrorCode.IN_QUERY]: 'a key was sent in the URL (`?token=`); keys go in headers only',
  [ErrorCode.ROLE_SWITCH_REFUSED]: "an `X-Role` header named a role other than the key's",
  [ErrorCode.MANAGED_BY_KEY]: 'the request was made with an API key: keys are read and managed with a signed-in session only',
  [ErrorCode.ROLE_NOT_FOUND]: '`role` is not one of your roles',
  [ErrorCode.NOT_FOUND]: '`filterByTk` is not one of your keys',
  [ErrorCode.METHOD_NOT_ALLOWED]: 'sent as a `GET`; use `POST`',
  [ErrorCode.IP_NOT_ALLOWED]: 'the key has `allowedIps` and the request comes from elsewhere',
  [ErrorCode.RATE_LIMITED]: 'the key is over its `rateLimit` in this window; `Retry-After` says when to try again',
  [ErrorCode.READ_ONLY]: 'a read-only key asked for a write',
  [ErrorCode.TOO_MANY_FAILURES]: 'too many refused keys came from this address in the last minute; `Retry-After` says when',
};

const BAD_INPUT: Record<Action, { when: string; message: string }> = {
  list: {
    when: '`filter`, `sort`, `fields`, `page` or `pageSize` that this action does not take',
    message: `sort may only name these columns: ${COLUMNS.join(', ')}.`,
  },
  get: { when: 'a missing or malformed `filterByTk`', message: 'filterByTk must name one or more API keys by id.' },
  usage: {
    when: `a missing or malformed \`filterByTk\`, \`days\` that is not a whole number from 1 to ${USAGE_DAYS}`,
    message: `days must be a whole number from 1 to ${USAGE_DAYS}.`,
  },
  create: {
    when: 'a missing or too long name, a name you already use, a missing or bad expiry, a bad restriction',
    message: 'Name is required.',
  },
  update: {
    when: 'a bad `filterByTk`, name, `enabled`, expiry or restriction, a later expiry than the current one, a change of role or owner',
    message: 'An expiry can only be brought forward; create a new key for a longer one.',
  },
  destroy: { when: 'a missing or malformed `filterByTk`', message: 'filterByTk must name one or more API keys by id.' },
};

/** What a request made with a key can be refused with, before any action runs. */
const KEY_CHECKS = [
  ErrorCode.INVALID,
  ErrorCode.EXPIRED,
  ErrorCode.DISABLED,
  ErrorCode.ROLE_REVOKED,
  ErrorCode.OWNER_GONE,
  ErrorCode.IN_QUERY,
  ErrorCode.ROLE_SWITCH_REFUSED,
  ErrorCode.IP_NOT_ALLOWED,
  ErrorCode.RATE_LIMITED,
  ErrorCode.TOO_MANY_FAILURES,
];
const WRITE_REFUSALS = [ErrorCode.MANAGED_BY_KEY, ErrorCode.READ_ONLY, ErrorCode.METHOD_NOT_ALLOWED, ErrorCode.NOT_FOUND];

/** The codes each action can answer. */
export const ACTION_ERRORS: Record<Action, string[]> = {
  list: [ErrorCode.BAD_INPUT, ...KEY_CHECKS],
  get: [ErrorCode.BAD_INPUT, ErrorCode.NOT_FOUND, ...KEY_CHECKS],
  usage: [ErrorCode.BAD_INPUT, ErrorCode.NOT_FOUND, ...KEY_CHECKS],
  create: [
    ErrorCode.BAD_INPUT,
    ErrorCode.ROLE_NOT_FOUND,
    ErrorCode.MANAGED_BY_KEY,
    ErrorCode.READ_ONLY,
    ErrorCode.METHOD_NOT_ALLOWED,
    ...KEY_CHECKS,
  ],
  update: [ErrorCode.BAD_INPUT, ...WRITE_REFUSALS, ...KEY_CHECKS],
  destroy: [ErrorCode.BAD_INPUT, ...WRITE_REFUSALS, ...KEY_CHECKS],
};

/** The host's own answers beside ours, per status. */
const HOST_ANSWERS: Record<number, string> = {
  401: "NocoBase's own session errors (`EMPTY_TOKEN`, `INVALID_TOKEN`, `EXPIRED_TOKEN`, …): no or a bad sign-in.",
  403: `NocoBase's "No permissions", with the code \`${ErrorCode.NO_PERMISSION}\`: the role lacks the **API keys** permission.`,
};

function errorResponses(action: Action) {
  const byStatus = new Map<number, string[]>();
  for (const code of ACTION_ERRORS[action]) {
    const status = code === ErrorCode.BAD_INPUT ? 400 : REFUSALS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const status of [401, 403]) {
    byStatus.set(status, byStatus.get(status) ?? []);
  }
  const responses: Record<string, unknown> = {};
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const lines = codes.map((code) => {
      const when = code === ErrorCode.BAD_INPUT ? BAD_INPUT[action].when : WHEN[code];
      return `- \`${code}\`: ${when}`;
    });
    if (HOST_ANSWERS[status]) {
      lines.push(`- ${HOST_ANSWERS[status]}`);
    }
    const examples = Object.fromEntries(
      codes.map((code) => {
        const message = code === ErrorCode.BAD_INPUT ? BAD_INPUT[action].message : REFUSALS[code].message;
        return [code, { value: { errors: [{ message, code }] } }];
      }),
    );
    responses[status] = {
      description: lines.join('\n'),
      content: { 'application/json': { schema: ref('KeywardError'), ...(codes.length ? { examples } : {}) } },
    };
  }
  return responses;
}

const filterByTk = (description: string) => ({
  name: 'filterByTk',
  in: 'query',
  required: true,
  description,
  schema: { type: 'integer', format: 'int64', minimum: 1 },
  example: 1,
});

const expiresIn = {
  description:
    `A number of seconds, a duration (\`1d\`, \`7d\`, \`30d\`, \`90d\`, \`12h\`, \`2w\`, \`1y\`, \`90 days\`), or \`never\`. ` +
    `At least a second, at most ${MAX_EXPIRY_DAYS} days.`,
  oneOf: [
    { type: 'number', minimum: 1, maximum: MAX_EXPIRY_SECONDS, example: 86400 },
    { type: 'string', example: '30d' },
  ],
  example: '30d',
};
/** The restrictions create and update take, and every answer carries. */
const restrictions = {
  allowedIps: {
    type: 'array',
    items: { type: 'string' },
    maxItems: MAX_ALLOWED_IPS,
    description: 'IPv4/IPv6 addresses and CIDR ranges the key may be used from; `[]`: any.',
    example: ['203.0.113.7', '10.0.0.0/8', '2001:db8::/32'],
  },
  rateLimit: {
    type: 'object',
    nullable: true,
    description: 'Requests per window, counted in fixed windows; `null`: no limit.',
    properties: {
      limit: { type: 'integer', minimum: 1, maximum: MAX_RATE_LIMIT },
      windowSeconds: { type: 'integer', minimum: 1, maximum: MAX_RATE_WINDOW_SECONDS },
    },
    example: { limit: 100, windowSeconds: 60 },
  },
};
const expiresAt = {
  type: 'string',
  format: 'date-time',
  description: `Instead of \`expiresIn\`: a date in the future, at most ${MAX_EXPIRY_DAYS} days ahead. Wins over \`expiresIn\`.`,
};

/** Key management, reads included: a signed-in session only, never a key. */
const sessionOnly = [{ [SESSION_SCHEME]: [] }];

function operation(action: Action, summary: string, description: string, rest: Schema) {
  return {
    tags: [tag],
    operationId: `${COLLECTION}:${action}`,
    summary,
    description,
    security: sessionOnly,
    ...rest,
    responses: { ...(rest.responses as object), ...errorResponses(action) },
  };
}

const WRITE_NOTE = 'Needs a signed-in session (not an API key) and `POST`.';

export default {
  info: {
    title: TITLE,
    description: 'Manage Keyward API keys: `apiKeys:list`, `get`, `usage`, `create`, `update`, `destroy`.',
  },
  tags: [
    {
      name: tag,
      description:
        'Keyward API keys, each bound to one of your roles. Every action needs the **API keys** permission ' +
        '(ACL snippet `pm.@keyward/plugin-api-keys.configuration`) and sees only your own keys; the key hash is never returned. ' +
        `Any other action on \`${COLLECTION}\` answers 404 \`${ErrorCode.UNKNOWN_RESOURCE}\`, an association path 403 \`${ErrorCode.ACTION_NOT_ALLOWED}\`. ` +
        `Requests made with a key to other resources may also answer 403 \`${ErrorCode.ACCOUNT_ACTION_REFUSED}\` ` +
        `(sign-in, account changes) or \`${ErrorCode.CONFIGURATION_REFUSED}\` (app configuration), 404 ` +
        `\`${ErrorCode.UNKNOWN_RESOURCE}\` for a resource, action or association that does not exist, and 429 ` +
        `\`${ErrorCode.BUSY}\` for an export or import while another runs in the same process.`,
    },
  ],
  paths: {
    [`/${COLLECTION}:list`]: {
      get: operation('list', 'List your API keys', 'Newest first by default. `appends` is ignored.', {
        parameters: [
          {
            name: 'filter',
            in: 'query',
            description:
              `Conditions on ${COLUMNS.map((column) => `\`${column}\``).join(', ')} with plain values ` +
              '(`$eq`, `$ne`, `$in`, `$notIn`, `$gt`, `$gte`, `$lt`, `$lte`, `$includes`, `$notIncludes`, `$startsWith`, ' +
              '`$endsWith`, `$empty`, `$notEmpty`, `$exists`, `$notExists`, `$isTruly`, `$isFalsy`), combined with `$and` / `$or`.',
            content: json({ type: 'object', example: { enabled: true } }),
          },
          {
            name: 'sort',
            in: 'query',
            description: 'Columns, `-` for descending. Default `-createdAt`.',
            style: 'form',
            explode: false,
            schema: { type: 'array', items: { type: 'string', enum: COLUMNS.flatMap((column) => [column, `-${column}`]) } },
          },
          {
            name: 'fields',
            in: 'query',
            description: 'Only these columns (`role` is always added).',
            style: 'form',
            explode: false,
            schema: { type: 'array', items: { type: 'string', enum: COLUMNS } },
          },
          { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1, default: 1 } },
          { name: 'pageSize', in: 'query', schema: { type: 'integer', minimum: 1, maximum: PAGE_SIZE_MAX, default: 20 } },
        ],
        responses: {
          200: {
            description: 'Your keys and the page.',
            content: json({
              type: 'object',
              properties: {
                data: { type: 'array', items: ref('KeywardApiKey') },
                meta: {
                  type: 'object',
                  properties: Object.fromEntries(
                    ['count', 'page', 'pageSize', 'totalPage'].map((name) => [name, { type: 'integer' }]),
                  ),
                },
              },
            }),
          },
        },
      }),
    },
    [`/${COLLECTION}:get`]: {
      get: operation('get', 'Get one of your API keys', '', {
        parameters: [filterByTk('The key id.')],
        responses: {
          200: { description: 'The key.', content: json({ type: 'object', properties: { data: ref('KeywardApiKey') } }) },
        },
      }),
    },
    [`/${COLLECTION}:usage`]: {
      get: operation('usage', "One of your keys' requests per day", 'UTC days, oldest first; counts not yet written are included.', {
        parameters: [
          filterByTk('The key id.'),
          { name: 'days', in: 'query', schema: { type: 'integer', minimum: 1, maximum: USAGE_DAYS, default: 30 } },
        ],
        responses: {
          200: {
            description: 'Requests answered (`ok`) and refused, by code, per day; where and when the key was last used.',
            content: json({
              type: 'object',
              properties: {
                data: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      date: { type: 'string', example: '2026-11-25' },
                      ok: { type: 'integer', example: 120 },
                      refused: { type: 'integer', example: 3 },
                      refusedBy: { type: 'object', additionalProperties: { type: 'integer' }, example: { [ErrorCode.RATE_LIMITED]: 3 } },
                    },
                  },
                },
                meta: {
                  type: 'object',
                  properties: {
                    lastUsedAt: { type: 'string', format: 'date-time', nullable: true },
                    lastUsedIp: { type: 'string', nullable: true, example: '203.0.113.7' },
                  },
                },
              },
            }),
          },
        },
      }),
    },
    [`/${COLLECTION}:create`]: {
      post: operation('create', 'Create an API key', `${WRITE_NOTE} The answer holds the key (\`token\`), shown this once.`, {
        requestBody: { required: true, content: json(ref('KeywardApiKeyCreate')) },
        responses: {
          200: {
            description: 'The new key, with `token`: the key itself, never shown again.',
            content: json({ type: 'object', properties: { data: ref('KeywardNewApiKey') } }),
          },
        },
      }),
    },
    [`/${COLLECTION}:update`]: {
      post: operation('update', 'Rename, disable or enable, or shorten an API key', `${WRITE_NOTE} Role and owner never change.`, {
        parameters: [filterByTk('The key id.')],
        requestBody: { required: true, content: json(ref('KeywardApiKeyUpdate')) },
        responses: {
          200: { description: 'The updated key.', content: json({ type: 'object', properties: { data: ref('KeywardApiKey') } }) },
        },
      }),
    },
    [`/${COLLECTION}:destroy`]: {
      post: operation(
        'destroy',
        'Delete API keys',
        `${WRITE_NOTE} Several at once: \`filterByTk[]=1&filterByTk[]=2\`. If any id is not yours, nothing is deleted.`,
        {
          parameters: [filterByTk('The key id.')],
          responses: {
            200: {
              description: 'The number of keys deleted.',
              content: json({ type: 'object', properties: { data: { type: 'integer', example: 1 } } }),
            },
          },
        },
      ),
    },
  },
  components: {
    securitySchemes: {
      [KEY_SCHEME]: {
        type: 'http',
        scheme: 'bearer',
        description:
          `A Keyward API key (\`${KEY_PREFIX}…\`, or the token of a key imported from the built-in plugin; ` +
          'without "Bearer ") or a NocoBase session token, sent as ' +
          `\`Authorization: Bearer <key>\`. Scripts may send a key as \`${KEY_HEADER}: <key>\` instead, but not from this ` +
          "page: it would go out with your session's `X-Role` and be refused. A key acts only as its own role; " +
          'do not send `X-Role`.',
      },
      [SESSION_SCHEME]: {
        type: 'http',
        scheme: 'bearer',
        description:
          'A NocoBase sign-in token (`auth:signIn`), needed to create, change or delete keys. ' +
          'On the API documentation page leave it empty: the page sends your own session.',
      },
    },
    schemas: {
      KeywardApiKey: {
        type: 'object',
        description: 'An API key as the actions answer it; never the key itself or its hash.',
        properties: {
          ...Object.fromEntries(
            Object.entries(LISTABLE_COLUMNS).map(([column, type]) => [column, { ...COLUMN_TYPES[type], ...COLUMN_DOCS[column] }]),
          ),
          ...restrictions,
          role: {
            type: 'object',
            nullable: true,
            description: "The key's role.",
            properties: {
              name: { type: 'string', example: 'todos_api_role' },
              title: { type: 'string', example: 'To Dos API Role' },
            },
          },
        },
      },
      KeywardNewApiKey: {
        allOf: [
          ref('KeywardApiKey'),
          {
            type: 'object',
            properties: {
              token: {
                type: 'string',
                description: 'The key: use it as `Authorization: Bearer <token>`. Shown only in this answer.',
                example: `${KEY_PREFIX}QaomHAFkm8TfZDsQ5v5qerXbziClnhUFCzJTblN3Ceq3wE4oj`,
              },
            },
          },
        ],
      },
      KeywardApiKeyCreate: {
        type: 'object',
        required: ['name', 'role'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: NAME_MAX_LENGTH, description: 'Trimmed; unique among your keys.' },
          role: {
            type: 'object',
            required: ['name'],
            description: 'One of your roles: `{ "name": … }` or the whole role object. (`roleName` works too.)',
            properties: { name: { type: 'string' } },
          },
          expiresIn,
          expiresAt,
          ...restrictions,
          readOnly: { type: 'boolean', description: 'The key may only read within its role.' },
          enabled: { type: 'boolean', default: true, description: '`false` makes the key disabled until enabled.' },
        },
        example: { name: 'nightly export', role: { name: 'todos_api_role' }, expiresIn: '30d' },
      },
      KeywardApiKeyUpdate: {
        type: 'object',
        description: 'Only the properties given change. An expiry can only be brought forward.',
        properties: {
          name: { type: 'string', minLength: 1, maxLength: NAME_MAX_LENGTH },
          enabled: { type: 'boolean' },
          expiresIn,
          expiresAt,
          ...restrictions,
          readOnly: { type: 'boolean' },
        },
        example: { name: 'nightly export (old)', enabled: false, expiresIn: '1d' },
      },
      KeywardError: {
        type: 'object',
        properties: {
          errors: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                message: { type: 'string', description: "In the request's language (`X-Locale`)." },
                code: { type: 'string', example: ErrorCode.INVALID },
              },
            },
          },
        },
      },
    },
  },
};
