import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../metrics.ts';
import { ROUTE_SCOPES } from '../../schemas/scopes.ts';

/** Prometheus scrape endpoint: totals only, and behind a token, since every scrape reaches the database. */
export const metricsRoutes: FastifyPluginAsync<{ metrics: Pick<Metrics, 'registry'> }> = async (app, { metrics }) => {
  app.get(
    '/metrics',
    { schema: { hide: true }, config: { scopes: ROUTE_SCOPES['metrics.read'] } },
    async (_request, reply) => {
      const body = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(body);
    },
  );
};
