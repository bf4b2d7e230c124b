import type { Application } from '@nocobase/server';
import { COLLECTION } from '../../constants';

type Answer = { data?: Record<string, unknown> } | undefined;

/**
 * The host's audit log keeps each audited action's response body, and an audit plugin that
 * audits every `create` would keep `apiKeys:create`'s: the one answer that holds a key. Ours
 * is registered for that action by name (it wins over a general `create`) and logs the answer
 * without the key.
 */
export function auditKeysWithoutSecrets(app: Pick<Application, 'auditManager'>) {
  app.auditManager?.registerActions([
    {
      name: `${COLLECTION}:create`,
      getMetaData: async (ctx: { body?: unknown }) => {
        const answer = ctx.body as Answer;
        return { response: { body: answer?.data ? { ...answer, data: { ...answer.data, token: undefined } } : null } };
      },
    },
  ]);
}
