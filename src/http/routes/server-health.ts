import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ServerHealthService } from '../../domain/server-health.ts';
import { EmailServerIdParams } from '../../schemas/email-server.ts';
import { oktaErrorResponses as errors } from '../../schemas/error.ts';
import { ROUTE_SCOPES, scopeNote } from '../../schemas/scopes.ts';
import { EmailServerHealth, EmailServerHealthList } from '../../schemas/server-health.ts';
import type { ServerHealthRecord } from '../../store/server-health-store.ts';
import { principalOf } from '../auth.ts';

export const SERVER_HEALTH_LIST_PATH = '/api/v1/mailroute/email-servers-health';
const SERVER_HEALTH_PATH = '/api/v1/mailroute/email-servers/:emailServerId/health';

const tags = ['EmailServer'];
const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());

function presentHealth(record: ServerHealthRecord) {
  const failure = record.lastFailure;
  return {
    serverId: record.serverId,
    state: record.state,
    since: iso(record.since),
    lastSuccess: iso(record.lastSuccessAt),
    lastFailure: failure
      ? { at: new Date(failure.at).toISOString(), stage: failure.stage, reply: failure.reply, hint: failure.hint }
      : null,
    advisories: record.advisories,
    lastProbeAt: iso(record.lastProbeAt),
  };
}

const description = `From real deliveries and scheduled probes (connect, TLS, sign-in; no mail is sent). ${scopeNote('emailServers.read')}`;

/** Extension: each server's health (healthy, degraded, failing, unknown). */
export const serverHealthRoutes: FastifyPluginAsyncTypebox<{ serverHealth: ServerHealthService }> = async (
  app,
  { serverHealth },
) => {
  app.get(SERVER_HEALTH_PATH, {
    config: { scopes: ROUTE_SCOPES['emailServers.read'] },
    schema: {
      operationId: 'getEmailServerHealth',
      summary: "A server's health, its last success and failure, and advisories (mailroute extension)",
      description,
      tags,
      params: EmailServerIdParams,
      response: { 200: EmailServerHealth, ...errors(401, 403, 404, 429) },
    },
    handler: async (request) =>
      presentHealth(await serverHealth.get(principalOf(request).orgId, request.params.emailServerId)),
  });

  app.get(SERVER_HEALTH_LIST_PATH, {
    config: { scopes: ROUTE_SCOPES['emailServers.read'] },
    schema: {
      operationId: 'listEmailServerHealth',
      summary: 'The health of every server of the org (mailroute extension)',
      description,
      tags,
      response: { 200: EmailServerHealthList, ...errors(401, 403, 429) },
    },
    handler: async (request) => (await serverHealth.list(principalOf(request).orgId)).map(presentHealth),
  });
};
