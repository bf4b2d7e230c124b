import type Database from '@nocobase/database';
import { NUL_MESSAGE } from '../bad-input/requests';
import { holdsNul } from '../json-nodes';
import { refusals } from '../errors';
import { isAccountCollection } from './account-collections';

type Row = { constructor: { name: string }; dataValues?: Record<string, unknown>; changed?(): string[] | false; get?(name: string): unknown };
type Options = {
  model?: { name: string };
  attributes?: Record<string, unknown>;
  context?: { state?: { apiKey?: unknown }; request?: { is?(type: string): string | false | null } };
};

const CREATES = new Set(['beforeCreate', 'beforeBulkCreate']);

/** The instance hooks get (row, options), bulk creates (rows, options), bulk updates and destroys (options). */
const EVENTS = ['beforeCreate', 'beforeUpdate', 'beforeDestroy', 'beforeBulkCreate', 'beforeBulkUpdate', 'beforeBulkDestroy'];

function written(args: unknown[]): { collection?: string; options?: Options } {
  const options = args[args.length - 1] as Options | undefined;
  const [first] = args;
  const row = (Array.isArray(first) ? first[0] : first) as Row | undefined;
  const collection = args.length > 1 ? row?.constructor?.name : options?.model?.name;
  return { collection, options };
}

/** The values a write event is about to write: a new row's, a changed row's changes, a bulk update's. */
function writtenNow(event: string, args: unknown[], options: Options): unknown[] {
  if (event === 'beforeBulkUpdate') {
    return [options.attributes];
  }
  if (event === 'beforeUpdate') {
    const row = args[0] as Row;
    return (row.changed?.() || []).map((name) => row.get?.(name));
  }
  return CREATES.has(event) ? [args[0]].flat().map((row) => (row as Row | undefined)?.dataValues) : [];
}

/**
 * Where every write path meets: a row written on behalf of a request made with a key (the
 * host passes the request along as `context`, nested association writes included) never lands
 * in an account collection or a collection a configuration permission covers. The request
 * checks refuse such writes by name; this catches the ones reached through association values.
 * A file row is created with a key only by uploading the file (multipart): the file manager
 * also takes a row that names a file already stored, which would hand the key someone else's.
 */
export function guardKeyWrites(db: Database, isConfiguration: (path: string) => boolean) {
  for (const event of EVENTS) {
    db.on(event, (...args: unknown[]) => {
      const { collection, options } = written(args);
      if (!options?.context?.state?.apiKey || !collection) {
        return;
      }
      if (isAccountCollection(collection)) {
        throw refusals.accountActionRefused();
      }
      if (isConfiguration(`${collection}:update`)) {
        throw refusals.configurationRefused();
      }
      // What reaches a column from a request's multipart fields, an upload's file name or an
      // imported cell, which no request check reads: no NUL, as in the request itself.
      if (holdsNul(writtenNow(event, args, options))) {
        throw refusals.badInput(NUL_MESSAGE);
      }
      const template = db.getCollection(collection)?.options?.template;
      if (CREATES.has(event) && (collection === 'attachments' || template === 'file') && !options.context.request?.is?.('multipart/*')) {
        throw refusals.badInput('With an API key, a file is added by uploading it as multipart/form-data.');
      }
    });
  }
}
