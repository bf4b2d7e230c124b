import type { Plugin } from '@nocobase/server';
import { BUILT_IN_PLUGIN } from '../../constants';
import {
  countPlaintextCopies,
  erasePlaintextCopies,
  handBackBuiltInKeys,
  importBuiltInKeys,
  type TokenService,
} from './built-in-keys';

/** What the settings page tells an administrator, once, about the takeover. */
export interface HandoverNotice {
  /** False once dismissed or erased, and when there was nothing to take over. */
  pending: boolean;
  importedAt?: string;
  imported?: number;
  skipped?: number;
  /** Live keys that could not be imported, and were blocked. */
  failed?: number;
  /** Imported keys whose token the built-in's table still holds in plain text. */
  plaintextCopies?: number;
}

interface StoredReport {
  importedAt: string;
  imported: number;
  skipped: number;
  failed: number;
  acknowledged: boolean;
}

/**
 * Replacing NocoBase's own "Auth: API keys" plugin in one step: switch it off, take its keys
 * over, and hand them back if Keyward is disabled. The report lives in Keyward's row of the
 * plugin manager's table, so every node of a cluster reads the same one.
 */
export class Handover {
  constructor(private readonly plugin: Plugin) {}

  private get app() {
    return this.plugin.app;
  }

  /**
   * On enable and after every upgrade: the preset lists the built-in among the plugins an
   * upgrade switches back on, and two plugins answering `apiKeys` must never run together.
   */
  async takeOver() {
    await this.switchOffBuiltIn();
    const report = await importBuiltInKeys(this.app.db, this.tokens, (row, error) =>
      // The message only, the token cut out: a failed statement's SQL would carry it.
      this.app.log.error(`Keyward could not import the built-in API key ${row.id}; it is blocked`, {
        reason: (error instanceof Error ? error.message : String(error)).split(row.token!).join('<token>').slice(0, 200),
      }),
    );
    if (report.imported > 0 || report.failed > 0) {
      this.app.log.info(`Keyward imported ${report.imported} API keys from the built-in plugin`, { report });
      // Added to a notice not yet read, so no figure is lost between two runs.
      const previous = await this.readReport();
      const unread = previous && !previous.acknowledged ? previous : { imported: 0, failed: 0 };
      await this.saveReport({
        importedAt: new Date().toISOString(),
        imported: unread.imported + report.imported,
        skipped: report.skipped,
        failed: (unread.failed ?? 0) + report.failed,
        acknowledged: false,
      });
    }
    return report;
  }

  private get tokens() {
    return this.app.authManager.jwt as unknown as TokenService;
  }

  /** When Keyward is disabled: the built-in, enabled again, finds its keys working. */
  async handBack() {
    const handedBack = await handBackBuiltInKeys(this.app.db, this.tokens);
    if (handedBack) {
      this.app.log.info(`Keyward handed ${handedBack} imported API keys back to the built-in plugin`);
    }
    return handedBack;
  }

  async notice(): Promise<HandoverNotice> {
    const report = await this.readReport();
    if (!report || report.acknowledged) {
      return { pending: false };
    }
    const { acknowledged: _acknowledged, ...figures } = report;
    return { pending: true, ...figures, plaintextCopies: await countPlaintextCopies(this.app.db) };
  }

  async erase() {
    const erased = await erasePlaintextCopies(this.app.db);
    await this.dismiss();
    return erased;
  }

  async dismiss() {
    const report = await this.readReport();
    if (report && !report.acknowledged) {
      await this.saveReport({ ...report, acknowledged: true });
    }
  }

  /** Its row, not its in-memory flag: an upgrade sets the row, and the next start obeys it. */
  private async switchOffBuiltIn() {
    const { repository } = this.app.pm;
    const row = await repository.findOne({ filter: { name: BUILT_IN_PLUGIN } });
    if (!row?.get('enabled')) {
      return;
    }
    await repository.update({ filter: { name: BUILT_IN_PLUGIN }, values: { enabled: false } });
    const builtIn = this.app.pm.get(BUILT_IN_PLUGIN) as Plugin | undefined;
    if (builtIn) {
      builtIn.enabled = false;
    }
    this.app.log.info('Keyward switched off the built-in "Auth: API keys" plugin, which it replaces');
  }

  private async readReport(): Promise<StoredReport | undefined> {
    const row = await this.app.pm.repository.findOne({ filter: { name: this.plugin.name } });
    return row?.get('options')?.handover;
  }

  private async saveReport(handover: StoredReport) {
    const { repository } = this.app.pm;
    const row = await repository.findOne({ filter: { name: this.plugin.name } });
    await repository.update({
      filter: { name: this.plugin.name },
      values: { options: { ...(row?.get('options') ?? {}), handover } },
    });
  }
}
