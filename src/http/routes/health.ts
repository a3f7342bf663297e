import type { FastifyPluginAsync } from 'fastify';
import type { Store } from '../../store/store.ts';

/** Liveness never touches the database; readiness does. */
export const healthRoutes: FastifyPluginAsync<{ store: Pick<Store, 'ping' | 'kind'> }> = async (app, { store }) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (request, reply) => {
    try {
      await store.ping();
      return { status: 'ready', store: store.kind };
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed: store unreachable');
      return reply.status(503).send({ status: 'unavailable', store: store.kind });
    }
  });
};
