import { Plugin } from '@nocobase/server';
import { tval } from '@nocobase/utils';
import { AUTH_TYPE, AUTHENTICATOR, COLLECTION, HANDOVER_RESOURCE, NAMESPACE } from '../constants';
import { LOCALES } from '../locale';
import {
  answerUnreadableBodies,
  checkRequestShape,
  isInputError,
  isOurs,
  renderInputError,
  requireKnownNames,
  requireRowsToWrite,
  shapeHostAnswers,
} from './bad-input/requests';
import { KeywardError, renderKeywardError } from './errors';
import { answerBusyActions } from './bad-input/exclusive-actions';
import { checkFilterDates } from './bad-input/filter-dates';
import { checkImportInput, removeImportUploads } from './bad-input/import-input';
import * as apiKeyActions from './actions/api-keys';
import { auditKeysWithoutSecrets } from './actions/audit';
import { watchKeyChanges } from './persistence/cache-invalidation';
import apiKeysCollection from './collections/api-keys';
import apiKeyUsageCollection from './collections/api-key-usage';
import { usageAction } from './actions/usage';
import { tieUsageToKey, recordKeyUsage, UsageTracker } from './persistence/usage';
import { KeyAuth, type KeyAuthOptions } from './verification/key-auth';
import { deleteKeysWithOwner } from './persistence/delete-with-owner';
import { escapeSqliteArrayOperators } from './bad-input/sqlite-array-operators';
import { guardHashColumn } from './persistence/hash-column-guard';
import { guardKeyRows } from './persistence/key-row-guard';
import { guardUsageRows } from './persistence/usage-row-guard';
import { KeyStore } from './persistence/key-store';
import { LastUsedTracker } from './persistence/last-used';
import { guardKeyManagement, MANAGEMENT_ACTIONS } from './restrictions/guard-key-management';
import { guardKeyFileAccess } from './restrictions/file-access';
import { askInnerPermissionsFirst } from './restrictions/inner-permissions';
import { refuseKeysAtIdentityEndpoints } from './restrictions/identity-endpoints';
import { checkKeysQuery } from './restrictions/list-query';
import { configurationCheck } from './restrictions/configuration';
import { guardKeyWrites } from './restrictions/key-write-guard';
import { disableWorkflowsOnKeys, refusePathsToKeys } from './restrictions/no-paths-to-keys';
import { restrictKeyRequests } from './restrictions/restrict-key-requests';
import { guardUserVariables, refuseVariablesInUsers } from './restrictions/user-variables';
import { refuseFlowRecordsOfKeys } from './restrictions/flow-context';
import { refuseQueriesOfKeys } from './restrictions/named-queries';
import { moveWithinScope } from './restrictions/move-within-scope';
import { bulkUpdateWithinScope } from './restrictions/bulk-update-scope';
import { linksWithinScope } from './restrictions/link-scope';
import { pinKeyRole } from './restrictions/pin-key-role';
import { routeKeyRequests } from './verification/route-key-requests';
import { FailureFlood, maxFailuresFromEnv } from './verification/failure-flood';
import { trustedProxiesFromEnv } from './restrictions/client-address';
import { counterFor, RateLimiter } from './restrictions/rate-limit';
import { guardHandover, HANDOVER_ACTIONS, handoverActions } from './handover/actions';
import { Handover } from './handover/handover';
import { sharesCache } from './cluster/change-stamp';
import { useRedisPubSub } from './cluster/redis-pub-sub';
import { revocationPath } from './cluster/revocation-path';

interface ErrorHandlerLike {
  handlers: { guard: (error: unknown) => boolean; render: (error: any, ctx: any) => void }[];
  register(guard: (error: unknown) => boolean, render: (error: any, ctx: any) => void): void;
  defaultHandler(error: unknown, ctx: unknown): void;
}

const GENERIC_READS = ['view', 'list', 'get', 'query', 'export'];

/** Wires Keyward into the host; the logic lives in the modules it imports. */
export class PluginKeywardServer extends Plugin {
  store!: KeyStore;
  tracker!: LastUsedTracker;
  usage!: UsageTracker;
  /** What the `keyward` authenticator is given: its store, tracker, limiter and flood guard. */
  keyAuthOptions!: KeyAuthOptions;
  handover!: Handover;

  get aclSnippet() {
    return `pm.${this.name}.configuration`;
  }

  /** Under `pm.*`: whoever may manage plugins sees the notice about the built-in's keys. */
  get handoverSnippet() {
    return `pm.${this.name}.handover`;
  }

  /** Before the host connects its pub/sub (at start), so the opt-in adapter is the one it uses. */
  afterAdd() {
    useRedisPubSub(this.app);
  }

  async beforeLoad() {
    this.store = new KeyStore(this.db);
    this.handover = new Handover(this);
    this.tracker = new LastUsedTracker(this.db, undefined, (error) =>
      this.app.log.warn('API key lastUsedAt not written; retried at the next flush', { error }),
    );
    this.usage = new UsageTracker(this.db, undefined, (error) =>
      this.app.log.warn('API key usage not written; retried at the next flush', { error }),
    );
    const options: KeyAuthOptions = (this.keyAuthOptions = {
      store: this.store,
      tracker: this.tracker,
      limiter: new RateLimiter(counterFor(this.app), `${this.app.name}:keyward:rate`),
      flood: new FailureFlood(maxFailuresFromEnv()),
      trustedProxies: trustedProxiesFromEnv(),
    });

    this.app.authManager.registerTypes(AUTH_TYPE, {
      auth: KeyAuth,
      title: tval('API keys', { ns: NAMESPACE }),
      // Chosen per request by the key's prefix, never picked on a sign-in page.
      hidden: true,
    });
    this.app.authManager.registerBuiltInAuthenticator({ name: AUTHENTICATOR, authType: AUTH_TYPE, options });

    this.app.resourceManager.define({
      name: COLLECTION,
      actions: { ...apiKeyActions, usage: usageAction(this.usage, this.tracker) },
      only: Object.keys(MANAGEMENT_ACTIONS),
    });
    // Exactly the five actions: a wildcard would let other plugins' generic actions in.
    this.app.acl.registerSnippet({
      name: this.aclSnippet,
      actions: Object.keys(MANAGEMENT_ACTIONS).map((action) => `${COLLECTION}:${action}`),
    });
    this.app.resourceManager.define({
      name: HANDOVER_RESOURCE,
      actions: handoverActions(() => this.handover),
      only: Object.keys(HANDOVER_ACTIONS),
    });
    this.app.acl.registerSnippet({
      name: this.handoverSnippet,
      actions: Object.keys(HANDOVER_ACTIONS).map((action) => `${HANDOVER_RESOURCE}:${action}`),
    });
  }

  async afterEnable() {
    await this.handover.takeOver();
  }

  /** Runs after every upgrade of the app, which switches the built-in plugin back on. */
  async upgrade() {
    await this.handover.takeOver();
  }

  async beforeDisable() {
    await this.handover.handBack();
  }

  /** Defined here rather than found by path, so it loads the same from a test as from an install. */
  async loadCollections() {
    const keys = this.db.collection(apiKeysCollection);
    // One name per owner, held by the database so two concurrent creates cannot both pass.
    // Added once `createdBy: true` has given the collection its createdById column.
    keys.addIndex({ unique: true, fields: ['createdById', 'name'] });
    guardHashColumn(keys.model);
    guardKeyRows(keys.model);
    const usage = this.db.collection(apiKeyUsageCollection);
    // One row per key, day and outcome: nodes add to it, never beside it.
    usage.addIndex({ unique: true, fields: ['keyId', 'day', 'outcome'] });
    guardUsageRows(usage.model);
  }

  async load() {
    // Generic reads of the collection (charts, export, …) that some role's strategy lets
    // through see only the caller's own keys; our actions limit themselves the same way.
    for (const action of GENERIC_READS) {
      this.app.acl.addFixedParams(COLLECTION, action, () => ({ filter: { createdById: '{{ctx.state.currentUser.id}}' } }));
    }
    auditKeysWithoutSecrets(this.app);
    escapeSqliteArrayOperators(this.db);
    for (const [language, resources] of Object.entries(LOCALES)) {
      this.app.i18n.addResources(language, NAMESPACE, resources);
    }

    // Ahead of the IdP plugin's own middlewares, which would take a key as a login.
    const isImported = (token: string) => this.store.isImportedToken(token);
    const errorHandler = (this.app.pm.get('error-handler') as { errorHandler?: ErrorHandlerLike } | undefined)?.errorHandler;
    if (errorHandler) {
      errorHandler.register((error) => error instanceof KeywardError, renderKeywardError);
      // Not ours: the host's answer, from the first handler registered after this one that takes it.
      const hostAnswer = (error: unknown, ctx: unknown) => {
        const later = errorHandler.handlers.slice(errorHandler.handlers.findIndex((handler) => handler.guard === isInputError) + 1);
        const handler = later.find(({ guard }) => guard(error));
        return handler ? handler.render(error, ctx) : errorHandler.defaultHandler(error, ctx);
      };
      errorHandler.register(isInputError, renderInputError(isImported, hostAnswer));
    }
    this.app.use(refuseKeysAtIdentityEndpoints(isImported), {
      tag: 'keyward-identity',
      after: 'dataWrapping',
      before: ['idp-oauth-provider', 'idp-oauth-resource-auth', 'idp-oauth-interaction', 'dataSource'],
    });
    // Around the body parser, whose failures Koa answers as text; after i18n, which they name.
    this.app.use(answerUnreadableBodies(isImported), {
      tag: 'keyward-unreadable-bodies',
      after: ['logger', 'i18n'],
      before: 'bodyParser',
    });
    this.app.use(shapeHostAnswers(isImported), { tag: 'keyward-host-answers', after: 'i18n', before: 'errorHandler' });
    this.app.use(removeImportUploads((ctx) => isOurs(ctx, isImported)), { tag: 'keyward-import-uploads', after: 'dataWrapping', before: 'dataSource' });
    this.app.use(checkRequestShape(isImported), { tag: 'keyward-request-shape', after: 'dataWrapping', before: 'dataSource' });
    this.app.dataSourceManager.use(requireRowsToWrite(isImported), {
      tag: 'keyward-rows-to-write',
      before: ['validate-filter-params', 'auth'],
    });
    // Before the resourcer, the host's filter validation and its ACL, which answer bad ids with a 500.
    this.app.use(checkKeysQuery, { tag: 'keyward-query', after: 'dataWrapping', before: 'dataSource' });
    this.app.use(refuseFlowRecordsOfKeys, { tag: 'keyward-flow-records', after: 'dataWrapping', before: 'dataSource' });
    this.app.dataSourceManager.use(routeKeyRequests(isImported), { tag: 'keyward-route', before: 'auth' });
    // On every data source, those added later included: each has its own role step and ACL.
    this.app.dataSourceManager.use(pinKeyRole, { tag: 'keyward-pin-role', after: 'setCurrentRole', before: 'acl' });
    this.app.acl.use(guardKeyManagement(this.app.acl, this.aclSnippet), { tag: 'keyward-guard', before: 'core' });
    this.app.acl.use(guardHandover(this.app.acl, this.handoverSnippet), { tag: 'keyward-handover', before: 'core' });
    this.app.dataSourceManager.afterAddDataSource((dataSource) => {
      dataSource.acl.use(guardKeyFileAccess(dataSource.acl), { tag: 'keyward-file-access', before: 'core' });
    });
    // Right after auth: ahead of the host's own middlewares (verification, file uploads) that
    // act on signed-in requests before the ACL is asked.
    const isConfiguration = configurationCheck(this.app.acl, this.aclSnippet);
    this.app.dataSourceManager.use(restrictKeyRequests(isConfiguration), {
      tag: 'keyward-key-requests',
      after: 'auth',
      before: ['setCurrentRole', 'acl', 'createMiddleware', 'default'],
    });
    // After the ACL: a key learns nothing of a collection its role may not use; for the actions
    // whose permission the host asks inside them, not before that is asked.
    this.app.dataSourceManager.use(askInnerPermissionsFirst((ctx) => isOurs(ctx, isImported)), {
      tag: 'keyward-inner-permissions',
      after: 'acl',
      before: ['keyward-known-names', 'keyward-filter-dates', 'keyward-import-input', 'keyward-busy-actions'],
    });
    this.app.dataSourceManager.use(requireKnownNames(isImported), { tag: 'keyward-known-names', after: 'acl' });
    // After our key checks: a key's chart of keys gets their own code first.
    this.app.dataSourceManager.use(refuseQueriesOfKeys(this.db), { tag: 'keyward-named-queries', after: ['auth', 'keyward-key-requests'], before: 'acl' });
    this.app.dataSourceManager.use(guardUserVariables, { tag: 'keyward-user-variables', before: 'parseVariables' });
    refuseVariablesInUsers(this.db);
    // Before the host's variable step, which fails on some dates already.
    this.app.dataSourceManager.use(checkFilterDates((ctx) => isOurs(ctx, isImported)), {
      tag: 'keyward-filter-dates',
      after: 'acl',
      before: 'parseVariables',
    });
    this.app.dataSourceManager.use(checkImportInput((ctx) => isOurs(ctx, isImported)), { tag: 'keyward-import-input', after: 'acl' });
    this.app.dataSourceManager.use(answerBusyActions((ctx) => isOurs(ctx, isImported)), { tag: 'keyward-busy-actions', after: 'acl' });
    this.app.dataSourceManager.use(moveWithinScope, { tag: 'keyward-move-scope', after: ['acl', 'keyward-known-names'] });
    this.app.dataSourceManager.use(bulkUpdateWithinScope, { tag: 'keyward-bulk-update-scope', after: ['acl', 'keyward-known-names'] });
    this.app.dataSourceManager.use(linksWithinScope, { tag: 'keyward-link-scope', after: ['acl', 'keyward-known-names'] });
    guardKeyWrites(this.db, isConfiguration);

    const changes = await watchKeyChanges(this, this.store);
    deleteKeysWithOwner(this.db);
    tieUsageToKey(this.db, (keyId) => {
      this.usage.forget(keyId);
      this.tracker.forget(keyId);
    });
    refusePathsToKeys(this.db);
    // Outside the host's error handler: it counts every answer as sent, refusals included.
    this.app.use(recordKeyUsage(this.usage), { tag: 'keyward-usage', before: 'errorHandler' });
    this.app.on('afterStart', async () => {
      this.tracker.start();
      this.usage.start();
      await changes.start();
      this.app.log.info(revocationPath({ pubSub: await this.app.pubSubManager.isConnected(), sharedCache: sharesCache(this.app) }));
      // Before the first sync (or the upgrade that adds the column) there is nothing to load;
      // a key left unrouted falls to the host's basic auth, which refuses it: it is blocked there.
      await this.store.loadImported().catch((error) => this.app.log.warn('Imported API keys not loaded', { error }));
      const warn = (message: string, meta: object) => this.app.log.warn(message, meta);
      // Housekeeping: a failure is logged, it does not stop the app from starting.
      await disableWorkflowsOnKeys(this.db, warn).catch((error) => warn('Workflows bound to API keys not checked', { error }));
    });
    this.app.on('beforeStop', () => Promise.all([this.tracker.stop(), this.usage.stop(), changes.stop()]));
  }
}

export default PluginKeywardServer;
