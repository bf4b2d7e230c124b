import type { Context, Next } from '@nocobase/actions';
import { KeywardError, refusals, throwKeywardError } from './errors';
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
      if (error instanceof KeywardError) {
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
