import type { FastifyPluginAsync } from 'fastify';
import type { SecretBox } from '../../secrets/secret-box.ts';
import type { Store } from '../../store/store.ts';

interface HealthOptions {
  store: Pick<Store, 'ping' | 'kind'>;
  secretBox: Pick<SecretBox, 'missingKeyIds' | 'onMissingKey'>;
}

/** Liveness never touches the database; readiness does, and fails while stored secrets name keys this instance lacks. */
export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, { store, secretBox }) => {
  // An operator must hear of a missing key once, loudly: every secret or message under it fails until it is given.
  const unsubscribe = secretBox.onMissingKey((error) =>
    app.log.error({ keyId: error.keyId }, `stored data cannot be decrypted: ${error.message}`),
  );
  app.addHook('onClose', async () => {
    unsubscribe();
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (request, reply) => {
    const missingEncryptionKeys = secretBox.missingKeyIds();
    try {
      await store.ping();
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed: store unreachable');
      return reply.status(503).send({ status: 'unavailable', store: store.kind });
    }
    if (missingEncryptionKeys.length > 0) {
      return reply.status(503).send({ status: 'unavailable', store: store.kind, missingEncryptionKeys });
    }
    return { status: 'ready', store: store.kind };
  });
};
