import type { Context, Next } from '@nocobase/actions';
import { isValidFilter } from '@nocobase/utils';
import { COLLECTION, ErrorCode, HANDOVER_RESOURCE, USAGE_COLLECTION } from '../constants';
import { KeywardError, refusals, renderKeywardError, throwKeywardError } from './errors';
import { presentedKey, type ImportedTokenCheck } from './verification/key-transport';

/**
 * Bad input the host answers with a 500 or a plain-text line, answered for the requests that
 * are ours (a key presented, or our resources addressed) with a status and a code, as every
 * refusal of ours. Other requests keep the host's answers: they are not ours to change.
 */

const OUR_PATH = new RegExp(`/(?:${[COLLECTION, USAGE_COLLECTION, HANDOVER_RESOURCE].join('|')})(?:[:/]|$)`);

const isOurs = (ctx: Context, isImported: ImportedTokenCheck) =>
  OUR_PATH.test(ctx.path) || presentedKey(ctx, isImported) !== undefined;

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
      if (error instanceof KeywardError || (ctx.request as { body?: unknown }).body !== undefined) {
        throw error;
      }
      renderKeywardError(unreadableBody((error as { status?: unknown })?.status), ctx);
    }
  };
}

/** `X-Data-Source` naming no data source is a 500 of the host's data-source step. */
export function checkDataSourceHeader(isImported: ImportedTokenCheck) {
  return async function checkDataSourceHeader(ctx: Context, next: Next) {
    const name = ctx.get('X-Data-Source');
    if (name && !ctx.app.dataSourceManager.dataSources.has(name) && isOurs(ctx, isImported)) {
      throwKeywardError(ctx, refusals.badInput('The X-Data-Source header names no data source.'));
    }
    await next();
  };
}

/**
 * Ahead of the host's check of update and destroy, which throws a plain Error (a 500) when
 * neither `filterByTk` nor a filter names the rows, or the filter is empty: a request of ours
 * gets the 400 it means. The same test as the host's, on the same parameters.
 */
export function requireRowsToWrite(isImported: ImportedTokenCheck) {
  return async function requireRowsToWrite(ctx: Context, next: Next) {
    const { actionName, filter, filterByTk, forceUpdate, truncate } = ctx.action?.params ?? {};
    const guarded = (actionName === 'update' && !forceUpdate) || (actionName === 'destroy' && !truncate);
    const unnamed = !isValidFilter(filter) && (!filterByTk || filter);
    if (guarded && unnamed && isOurs(ctx, isImported)) {
      throwKeywardError(ctx, refusals.badInput('update and destroy need filterByTk or a filter that names rows.'));
    }
    await next();
  };
}
