import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../metrics.ts';

/** Prometheus scrape endpoint. Public like /healthz: it carries counts and server ids, never secrets or content. */
export const metricsRoutes: FastifyPluginAsync<{ metrics: Pick<Metrics, 'registry'> }> = async (app, { metrics }) => {
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
};
