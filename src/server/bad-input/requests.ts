import type { Context, Next } from '@nocobase/actions';
import { inspect } from 'util';
import { parseQuery, parseRequest } from '@nocobase/resourcer';
import { getDayRangeByParams, isValidFilter, parseDate } from '@nocobase/utils';
import { ErrorCode, OWN_RESOURCES } from '../../constants';
import { KeywardError, refusals, renderKeywardError, throwKeywardError } from '../errors';
import { isObject } from '../is-object';
import { holdsNul, jsonNodes } from '../json-nodes';
import { definesItself } from '../resource-actions';
import { FILTER_NAMES_LIMIT, items, nestsDeeper, sentQuery } from '../query-paths';
import { missingSource } from './association-source';
import { badActionParams, badQueryNames, missingUid } from './unknown-names';
import { presentedKey, type ImportedTokenCheck } from '../verification/key-transport';

/**
 * Bad input the host answers with a 500 or a plain-text line, answered for the requests that
 * are ours (a key presented, or our resources addressed) with a status and a code, as every
 * refusal of ours. Other requests keep the host's answers: they are not ours to change.
 */

const OUR_RESOURCES = new Set(OWN_RESOURCES);

/** The path as the host's resourcer reads it: `api%4Beys` is `apiKeys` there. */
function decodedPath(path: string): string {
  try {
    return decodeURI(path);
  } catch {
    return path;
  }
}

/**
 * Whether the path names one of our resources, as the resourcer splits it: the resource, or the
 * association after a record id (`/api/users/1/apiKeys:list`), never a record id itself.
 */
function addressesOurs(ctx: Context): boolean {
  // NocoBase's API_BASE_PATH, `/api/` by default, may end in a slash.
  const prefix = `${(ctx.app?.resourceManager?.options?.prefix ?? '/api').replace(/\/+$/, '')}/`;
  const path = decodedPath(ctx.path);
  if (!path.startsWith(prefix)) {
    return false;
  }
  const [resource, , association] = path.slice(prefix.length).split('/');
  return [resource, association].some((name) => name !== undefined && OUR_RESOURCES.has(name.split(':')[0]));
}

/** The body as the host's body parser left it (undefined before it has read one). */
const bodyOf = (ctx: Context) => (ctx.request as { body?: unknown }).body;

/** A request of ours: one that presents a key, or addresses our resources. */
export const isOurs = (ctx: Context, isImported: ImportedTokenCheck) => addressesOurs(ctx) || presentedKey(ctx, isImported) !== undefined;

/**
 * The body parser's failure, by status; its own messages can quote the body back. A body that
 * does not decode as its `Content-Encoding` says fails in zlib, with no status at all.
 */
function unreadableBody(status: unknown): KeywardError {
  if (status === 413) {
    return new KeywardError(413, ErrorCode.BAD_INPUT, 'The request body is too large.');
  }
  if (status === 415) {
    return new KeywardError(415, ErrorCode.BAD_INPUT, 'The request body is in an encoding or charset the server does not read.');
  }
  if (status === 400) {
    return refusals.badInput('The request body is not valid JSON.');
  }
  return refusals.badInput('The request body does not decode as its Content-Encoding says.');
}

/**
 * Outside the host's error handler, ahead of its body parser: a body that cannot be read fails
 * there, before any handler of the host's that answers in JSON, so Koa answers `Bad Request`
 * as text, or a 500 for a body that does not decompress.
 */
export function answerUnreadableBodies(isImported: ImportedTokenCheck) {
  return async function answerUnreadableBodies(ctx: Context, next: Next) {
    if (!isOurs(ctx, isImported)) {
      return next();
    }
    try {
      await next();
    } catch (error) {
      // The body parser sets the body once it has read one: an error after that is not its.
      if (error instanceof KeywardError || bodyOf(ctx) !== undefined) {
        throw error;
      }
      renderKeywardError(unreadableBody((error as { status?: unknown })?.status), ctx);
    }
  };
}

/**
 * Outside the host's error handler, so that its rendering of what was thrown is seen too:
 * on requests of ours, the host's answers that lack our shape get it (see {@link shapeHostAnswer}).
 */
export function shapeHostAnswers(isImported: ImportedTokenCheck) {
  return async function shapeHostAnswers(ctx: Context, next: Next) {
    await next();
    // Only the answers it reshapes make it ask whose request this is.
    if ((ctx.status === 404 || ctx.status === 400 || ctx.status === 403) && isOurs(ctx, isImported)) {
      shapeHostAnswer(ctx);
    }
  };
}

/**
 * Answers of the host's that lack a code: Koa's bare `Not Found` (no resource or action of that
 * name), the 400s its error handler renders from a database's refusal (a `filterByTk` object
 * naming no column), its ACL's 403 "No permissions" (a role without the action, or without the
 * API keys permission), and a plugin's 404 for a row it does not find ("Task not found"). Their
 * message stays; the code says which.
 */
function shapeHostAnswer(ctx: Context) {
  if (ctx.status === 404 && ctx.body == null) {
    renderKeywardError(refusals.unknownResource(), ctx);
    return;
  }
  const errors = (ctx.body as { errors?: unknown } | null)?.errors;
  if (Array.isArray(errors)) {
    const code = ({ 400: ErrorCode.BAD_INPUT, 403: ErrorCode.NO_PERMISSION, 404: ErrorCode.NOT_FOUND } as Record<number, string>)[ctx.status];
    for (const error of errors) {
      // The host's default handler writes `code: undefined`, which JSON leaves out.
      if (code && error && typeof error === 'object' && (error as { code?: unknown }).code == null) {
        (error as { code?: string }).code = code;
      }
    }
  }
}


function oversizedFilter(filter: unknown, depth = 0): boolean {
  if (typeof filter !== 'object' || filter === null) {
    return false;
  }
  if (depth > FILTER_NAMES_LIMIT) {
    return true;
  }
  return Object.entries(filter).some(
    ([key, value]) => key.split('.').length + depth > FILTER_NAMES_LIMIT || oversizedFilter(value, depth + 1),
  );
}

/**
 * Deeper than this, and the host's deep copies of the body (lodash's cloneDeep), then its error
 * logger, run out of stack a few thousand levels down: a 500 in plain text. No record nests so.
 */
const BODY_DEPTH_LIMIT = 64;

/**
 * Whether the host's date functions take the time zone a request names: a relative date in a
 * filter or a role's scope (`today`) and a date read in it. The client sends an offset
 * (`+08:00`); anything else fails in one of them, a 500 wherever a date meets it. A zone's name
 * (`Asia/Shanghai`) too: the query formatter reads it, the date parser of filters and scopes
 * does not.
 */
function readsTimezone(timezone: string): boolean {
  if (!timezone) {
    return true;
  }
  try {
    getDayRangeByParams({ type: 'today', timezone });
    return [parseDate('2024-01-01', { timezone })].flat().every((instant) => !Number.isNaN(Date.parse(instant as string)));
  } catch {
    return false;
  }
}

export const NUL_MESSAGE = 'Text in the request holds a NUL character, which the database does not take.';

/** What the host's request parsing reads as it does, where it throws. */
function unparsable(ctx: Context, withKey: boolean): KeywardError | undefined {
  const name = ctx.get('X-Data-Source');
  if (name && !ctx.app.dataSourceManager.dataSources.has(name)) {
    // A 500 of the host's data-source step.
    return refusals.badInput('The X-Data-Source header names no data source.');
  }
  let parsedPath: unknown;
  try {
    // As the host's resourcer reads it (decodeURI, then the association's id once more), a 500.
    parsedPath = parseRequest({ path: ctx.path, method: ctx.method }, { prefix: ctx.app.resourceManager.options.prefix });
  } catch {
    return refusals.badInput('The request path is not valid percent-encoding.');
  }
  if (!readsTimezone(ctx.get('X-Timezone'))) {
    return refusals.badInput('The X-Timezone header is not a UTC offset the server reads, such as +08:00.');
  }
  let query: Record<string, unknown>;
  try {
    query = parseQuery(ctx.querystring);
  } catch {
    // The host's resourcer then skips the action and its auth, and answers 200 with `{}`.
    return refusals.badInput('The filter parameter is not valid JSON.');
  }
  if (oversizedFilter(query.filter)) {
    return refusals.badInput('The filter nests or chains more than {{limit}} names.', { limit: FILTER_NAMES_LIMIT });
  }
  if (nestsDeeper(bodyOf(ctx), BODY_DEPTH_LIMIT)) {
    return refusals.badInput('The request body nests deeper than {{limit}} levels.', { limit: BODY_DEPTH_LIMIT });
  }
  // No database keeps a NUL in text: SQLite's SQL ends at it (a 500), PostgreSQL gets the text
  // `\0` instead (a changed value; in a JSON field, one that fails every later JSON-path filter
  // on the collection, a 500 for everyone). Our own actions say it of their fields themselves.
  // The path as the resourcer reads it too: it decodes an association's id twice (`%2500`).
  if (withKey && (decodedPath(ctx.path).includes('\u0000') || holdsNul(parsedPath) || holdsNul(query) || holdsNul(bodyOf(ctx)))) {
    return refusals.badInput(NUL_MESSAGE);
  }
  // Read as the host reads them (parseInt); the offset it computes must be one a database takes.
  const number = (value: unknown, fallback: number) => (value === undefined ? fallback : typeof value === 'string' ? parseInt(value, 10) : NaN);
  const page = number(query.page, 1);
  const pageSize = number(query.pageSize, 20);
  if (!(page >= 1 && pageSize >= 0 && Number.isSafeInteger(page * pageSize))) {
    return refusals.badInput('page and pageSize take whole numbers.');
  }
  return undefined;
}

/** Ahead of the data sources: a request of ours that the host would not parse is refused. */
export function checkRequestShape(isImported: ImportedTokenCheck) {
  return async function checkRequestShape(ctx: Context, next: Next) {
    const withKey = presentedKey(ctx, isImported) !== undefined;
    const refusal = withKey || addressesOurs(ctx) ? unparsable(ctx, withKey) : undefined;
    if (refusal) {
      throwKeywardError(ctx, refusal);
    }
    await next();
  };
}

/**
 * The role's field list leaves none of the fields a request named, and nothing is appended:
 * the host would select no column at all, a 500. Said without telling which fields exist.
 */
function noFieldsLeft(ctx: Context): KeywardError | undefined {
  const { fields, appends } = ctx.action.params;
  const none = Array.isArray(fields) && fields.length === 0 && items(appends).length === 0;
  return none ? refusals.badInput('fields names no field this request may read.') : undefined;
}

/**
 * After the ACL (a key learns nothing of a collection its role may not use): names the host
 * would fail on.
 * The host makes a resource of `<collection>.<anything>` for any collection, and its generic
 * actions then fail on the association that is not there with a 500: a request of ours gets
 * the 404 of an unknown resource (resources that bring their own handler for the action, such
 * as `roles.snippets`, are theirs to answer). A field or operator in the query that does not
 * exist is a 400 (see {@link badQueryNames}), as are parameters the host's generic actions
 * cannot do without ({@link badActionParams}).
 */
export function requireKnownNames(isImported: ImportedTokenCheck) {
  return async function requireKnownNames(ctx: Context, next: Next) {
    if (ctx.action && isOurs(ctx, isImported)) {
      const { resourceName, actionName } = ctx.action;
      const [collectionName, association] = resourceName.split('.');
      const generic = !definesItself(ctx, resourceName, actionName);
      if (association !== undefined && generic) {
        const collections = ctx.dataSource?.collectionManager ?? ctx.db;
        // A Sequelize field tells its target; the fields of other data sources keep it in options.
        const field = collections.getCollection(collectionName)?.getField(association);
        if (!(field?.target ?? field?.options?.target)) {
          throwKeywardError(ctx, refusals.unknownResource());
        }
      }
      const refusal =
        (generic ? (badActionParams(ctx) ?? (await missingSource(ctx))) : missingUid(ctx)) ?? badQueryNames(ctx) ?? noFieldsLeft(ctx);
      if (refusal) {
        throwKeywardError(ctx, refusal);
      }
    }
    await next();
  };
}

/** Where the host's error handler finds a driver's error in Sequelize's. */
function driverError(error: unknown): { code?: unknown; errno?: unknown } | null {
  const wrapped = error as { original?: { parent?: unknown }; parent?: unknown } | null;
  return (wrapped?.original?.parent ?? wrapped?.parent ?? wrapped?.original ?? wrapped) as { code?: unknown; errno?: unknown } | null;
}

const messageOf = (error: unknown) => String((error as { message?: unknown } | null)?.message ?? '');

/**
 * Whether the request sent this value: a part of its path, or within its query string or its
 * body. Never an empty one, which every request "contains".
 */
function sent(ctx: Context, value: string): boolean {
  if (value === '') {
    return false;
  }
  let query = ctx.querystring;
  try {
    query = decodeURIComponent(query);
  } catch {
    // As sent.
  }
  // A path part with or without its action (`…/50% off:get` gives the host the id `50% off:get`).
  const inPath = decodedPath(ctx.path)
    .split('/')
    .some((part) => part === value || part.split(':')[0] === value);
  return inPath || query.includes(value) || JSON.stringify(bodyOf(ctx) ?? '').includes(value);
}

/**
 * Every value in the request's own query string and body, at any depth: its filters among them
 * (the query string's; the body's for `query`; the values of filterKeys for `firstOrCreate`),
 * and the parameters a plugin's action finds its rows by (`flowModels:findOne?uid=`).
 */
function sentValues(ctx: Context): unknown[] {
  return [sentQuery(ctx), bodyOf(ctx)].filter((sent) => sent !== undefined).flatMap((sent) => [...jsonNodes(sent)]);
}

/** The aggregate action: its measures, dimensions and having come from the request alone. */
const inQuery = (_: unknown, ctx: Context) => ctx.action?.actionName === 'query';

/**
 * Whether the value a driver's message quotes (PostgreSQL `…: "abc"`, MySQL `…: 'abc' for
 * column …`) is one the request sent: otherwise the value came from the server (a hook, a
 * view, a role's scope), and the fault is not the caller's.
 */
function quotedValueSent(error: unknown, ctx: Context): boolean {
  const message = messageOf(error);
  // PostgreSQL quotes the value last, as it is (quotes inside it too), or, out of range, midway.
  const value = /: "(.*)"$/s.exec(message)?.[1] ?? /"([^"]*)"/.exec(message)?.[1] ?? /'([^']*)' for column/.exec(message)?.[1];
  if (value === undefined) {
    return false;
  }
  const values = sentValues(ctx);
  switch (value) {
    case '':
      return values.includes('');
    // What Sequelize writes for a date it cannot read (moment's text), and for an object where a
    // plain value goes: from a value the request sent in place of one.
    case 'Invalid date':
      return values.some((item) => item !== null && typeof item !== 'object');
    case '[object Object]': {
      const body = bodyOf(ctx);
      return [body]
        .flat()
        .some((record) => isObject(record) && Object.values(record).some((item) => isObject(item) || Array.isArray(item)));
    }
  }
  // A date PostgreSQL's range refuses comes back in Sequelize's format: the day as sent, then a time.
  return sent(ctx, value) || values.some((item) => typeof item === 'string' && item.length >= 4 && value.startsWith(item.slice(0, 10)));
}

/** The plain values a write's body gives (`params.values`, at any depth): what reaches columns. */
const writtenScalars = (ctx: Context) => [...jsonNodes(ctx.action?.params?.values)].filter((node) => node != null && typeof node !== 'object');

/** A sort the request sent, in its query string or body. */
const sortSent = (ctx: Context) => {
  const body = bodyOf(ctx);
  return sentQuery(ctx)?.sort !== undefined || (isObject(body) && body.sort !== undefined);
};

/** The request's own filter: in its query string, or in its body (a chart's, `query`'s). */
const filterSent = (_: unknown, ctx: Context) => {
  const body = bodyOf(ctx);
  return sentQuery(ctx)?.filter !== undefined || (isObject(body) && body.filter !== undefined);
};

interface InputError {
  /** The host's error, told by its driver code or its message. */
  matches(error: unknown): boolean;
  /** Whether the request, not the server, made it (see {@link quotedValueSent}). */
  sentBy(error: unknown, ctx: Context): boolean;
  message: string;
}

export const VALUE_TYPE_MESSAGE = "A value in the request does not fit its field's type.";

/**
 * Errors the host answers with a 500 that, on requests of ours, are the request's input: one
 * row each, the reason in its comment. Each is taken only when the request sent what it names;
 * otherwise the host's answer stands.
 */
const INPUT_ERRORS: readonly InputError[] = [
  // PostgreSQL: a number past a decimal column's precision (it quotes none; before the row below, which needs a quoted value).
  {
    matches: (error) => driverError(error)?.code === '22003' && /^numeric field overflow/.test(messageOf(error)),
    sentBy: (_, ctx) => writtenScalars(ctx).some((value) => typeof value === 'number' || (typeof value === 'string' && /^[-+]?[\d.]+(e[-+]?\d+)?$/i.test(value))),
    message: VALUE_TYPE_MESSAGE,
  },
  // PostgreSQL refusing a value for its column's type: invalid text (`abc` for an integer id),
  // a number out of range, a bad date or time.
  {
    matches: (error) => ['22P02', '22003', '22007', '22008'].includes(driverError(error)?.code as string),
    sentBy: quotedValueSent,
    message: VALUE_TYPE_MESSAGE,
  },
  // MySQL: an out-of-range, incorrect or mistyped value.
  { matches: (error) => [1264, 1292, 1366].includes(driverError(error)?.errno as number), sentBy: quotedValueSent, message: VALUE_TYPE_MESSAGE },
  // SQLite takes any value but in an integer primary key (`"id": "abc"`); its message names none,
  // so the request must have sent values to write.
  {
    matches: (error) => driverError(error)?.code === 'SQLITE_MISMATCH',
    sentBy: (_, ctx) => {
      const body = bodyOf(ctx);
      return Array.isArray(body) ? body.length > 0 : isObject(body) && Object.keys(body).length > 0;
    },
    message: VALUE_TYPE_MESSAGE,
  },
  // Sequelize refusing an operator's value, such as an object inside `$in`: it prints the value
  // with Node's inspect (to depth 1), as one of the request's own values must print.
  {
    matches: (error) => /^Invalid value /.test(messageOf(error)),
    sentBy: (error, ctx) => {
      const printed = messageOf(error).slice('Invalid value '.length);
      return sentValues(ctx).some((value) => inspect(value, { depth: 1 }) === printed);
    },
    message: 'A value in the filter does not fit its operator.',
  },
  // PostgreSQL: no operator or function for the types (`integer = boolean`, `sum(character
  // varying)`, ordering json): a filter value of another type than its field, or a sort or an
  // aggregate its field's type does not have, all sent by the request.
  {
    matches: (error) => driverError(error)?.code === '42883',
    sentBy: (error, ctx) => filterSent(error, ctx) || sortSent(ctx) || ['query', 'queryData'].includes(ctx.action?.actionName ?? ''),
    message: "The request compares, sorts or aggregates a field in a way its type does not take.",
  },
  // PostgreSQL: text longer than its column (`character varying(255)`), when the request sent such text.
  {
    matches: (error) => driverError(error)?.code === '22001',
    sentBy: (error, ctx) => {
      const limit = /\((\d+)\)/.exec(messageOf(error))?.[1];
      return limit !== undefined && writtenScalars(ctx).some((value) => typeof value === 'string' && value.length > Number(limit));
    },
    message: 'A text in the request is longer than its field takes.',
  },
  // A multipart body its parser cannot read (a bad part header, a body cut short).
  {
    matches: (error) => /^(Malformed part header|Unexpected end of form|Multipart: Boundary not found)/.test(messageOf(error)),
    sentBy: (_, ctx) => /^multipart\//i.test(ctx.get('Content-Type')),
    message: 'The multipart body is malformed.',
  },
  // Sequelize: a filter name's `::cast` to no type it knows.
  {
    matches: (error) => /^Invalid cast type/.test(messageOf(error)),
    sentBy: (_, ctx) => JSON.stringify([sentQuery(ctx), bodyOf(ctx) ?? null]).includes('::'),
    message: 'A cast in the filter names no type the database knows.',
  },
  // Its having clause with an operator that is no plain comparison.
  {
    matches: (error) => /^Unsupported having operator: /.test(messageOf(error)),
    sentBy: inQuery,
    message: "query's having takes plain comparison operators ($eq, $gt, $in, …).",
  },
  // A NUL character in a filter's text: SQLite's SQL ends at it where Sequelize writes the value
  // into it (an unrecognized token). PostgreSQL gets it written as the text \0.
  {
    matches: (error) => driverError(error)?.code === 'SQLITE_ERROR' && /unrecognized token/.test(messageOf(error)),
    sentBy: (_, ctx) => decodedPath(ctx.path).includes('\u0000') || sentValues(ctx).some((value) => typeof value === 'string' && value.includes('\u0000')),
    message: NUL_MESSAGE,
  },
  // A belongs-to or has-one association's value sent as a list.
  {
    matches: (error) => /^The value of '[^']*' cannot be in array format$/.test(messageOf(error)),
    sentBy: (_, ctx) => isObject(bodyOf(ctx)) || Array.isArray(bodyOf(ctx)),
    message: VALUE_TYPE_MESSAGE,
  },
  // A bulk update (an array of records) with a record that lacks its primary key.
  {
    matches: (error) => messageOf(error) === 'filterByTk invalid',
    sentBy: (_, ctx) => Array.isArray(bodyOf(ctx)),
    message: 'Each record of a bulk update needs its primary key.',
  },
];

export function isInputError(error: unknown): boolean {
  return INPUT_ERRORS.some((row) => row.matches(error));
}

/**
 * For the host's error handler: on requests of ours, an {@link INPUT_ERRORS} error the request
 * made is bad input; anything else goes on to the handlers after this one, or the host's own
 * answer.
 */
export function renderInputError(isImported: ImportedTokenCheck, hostAnswer: (error: unknown, ctx: Context) => void) {
  return (error: unknown, ctx: Context) => {
    const row = INPUT_ERRORS.find((candidate) => candidate.matches(error));
    return row && isOurs(ctx, isImported) && row.sentBy(error, ctx)
      ? renderKeywardError(refusals.badInput(row.message), ctx)
      : hostAnswer(error, ctx);
  };
}

/**
 * A filter as the host's ACL hands it on: an object, without the names every object has
 * (`constructor`, `hasOwnProperty`, …), which its merge of the role's parameters drops.
 */
const keptFilter = (filter: unknown) =>
  isObject(filter) ? Object.fromEntries(Object.entries(filter).filter(([name]) => !(name in Object.prototype))) : undefined;

/**
 * Ahead of the host's check of update and destroy, which throws a plain Error (a 500) when
 * neither `filterByTk` nor a filter names the rows, or the filter is empty: a request of ours
 * gets the 400 it means. The same test as the host's, on the same parameters.
 */
export function requireRowsToWrite(isImported: ImportedTokenCheck) {
  return async function requireRowsToWrite(ctx: Context, next: Next) {
    const { actionName, filter, filterByTk, forceUpdate, truncate } = ctx.action?.params ?? {};
    const guarded = (actionName === 'update' && !forceUpdate) || (actionName === 'destroy' && !truncate);
    const unnamed = !isValidFilter(keptFilter(filter)) && (!filterByTk || filter);
    if (guarded && unnamed && isOurs(ctx, isImported)) {
      throwKeywardError(ctx, refusals.badInput('update and destroy need filterByTk or a filter that names rows.'));
    }
    await next();
  };
}
