import type { Context, Next } from '@nocobase/actions';
import { rm } from 'fs/promises';
import { KeywardError, refusals, throwKeywardError } from '../errors';
import { badColumns } from './unknown-names';

const ACTION = 'importXlsx';

const noFile = () => refusals.badInput('importXlsx takes a multipart/form-data body: the spreadsheet in its field file, and columns.');

/**
 * The import plugin's `importXlsx` on a request of ours, whose bad input it answers with 500s:
 * a body that is not multipart (its upload step then finds no file) is refused before it runs.
 * The rest (the file, the columns) is in the multipart body, which only its own upload step
 * reads: when the action fails, the failure is the request's if it sent no file or columns that
 * are not a list of field paths of the collection; otherwise it stays the host's.
 */
export function checkImportInput(isOurs: (ctx: Context) => boolean) {
  return async function checkImportInput(ctx: Context, next: Next) {
    if (ctx.action?.actionName !== ACTION || !isOurs(ctx)) {
      return next();
    }
    if (!ctx.is('multipart')) {
      throwKeywardError(ctx, noFile());
    }
    try {
      await next();
    } catch (error) {
      // An answer already (a refusal of ours, the host's own 4xx): not the action's failure.
      const status = (error as { status?: unknown } | null)?.status;
      if (error instanceof KeywardError || (typeof status === 'number' && status < 500)) {
        throw error;
      }
      const refusal = (ctx as { file?: unknown }).file
        ? badColumns(ctx, (ctx.request as { body?: { columns?: unknown } }).body?.columns, ACTION)
        : noFile();
      if (refusal) {
        throwKeywardError(ctx, refusal);
      }
      throw error;
    }
  };
}

/**
 * Around the data sources, on requests of ours to `importXlsx`. The import plugin's upload step
 * runs early in the data source's chain, before the ACL and our checks, and writes the file to
 * `storage/tmp`; only its action removes it, so a request refused in between (by the ACL, by a
 * check of ours) would leave it on disk, and a key could fill the disk. It is removed on the
 * way out, whatever the answer. The upload step's own refusals (a file under another field
 * name, two files) are bad input.
 */
export function removeImportUploads(isOurs: (ctx: Context) => boolean) {
  // The action is known only once the data source has parsed the request: asked on the way out,
  // so other requests pay nothing but the wrapper.
  const importOfOurs = (ctx: Context) => ctx.action?.actionName === ACTION && isOurs(ctx);
  return async function removeImportUploads(ctx: Context, next: Next) {
    try {
      await next();
    } catch (error) {
      const multer = error as { name?: unknown; message?: unknown };
      if (multer?.name === 'MulterError' && importOfOurs(ctx)) {
        throwKeywardError(ctx, refusals.badInput('The upload is not as importXlsx takes it: {{reason}}.', { reason: String(multer.message).slice(0, 100) }));
      }
      throw error;
    } finally {
      const path = (ctx as { file?: { path?: unknown } }).file?.path;
      if (typeof path === 'string' && importOfOurs(ctx)) {
        await rm(path, { force: true }).catch(() => undefined);
      }
    }
  };
}
