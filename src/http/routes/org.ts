import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { OrgAlertService } from '../../domain/org-alerts.ts';
import type { OrgSenderService } from '../../domain/org-sender.ts';
import type { OrgService } from '../../domain/orgs.ts';
import { oktaErrorResponses } from '../../schemas/error.ts';
import { OrgHealthAlertsBody, OrgHealthAlertsResponse } from '../../schemas/org-alerts.ts';
import { MeResponse, OrgSenderBody, OrgSenderResponse } from '../../schemas/org-sender.ts';
import { ROUTE_SCOPES, scopeNote } from '../../schemas/scopes.ts';
import { principalOf } from '../auth.ts';

export interface OrgRoutesOptions {
  orgs: Pick<OrgService, 'get'>;
  orgSender: OrgSenderService;
  orgAlerts: OrgAlertService;
}

const SENDER_PATH = '/api/v1/mailroute/org/sender';
const HEALTH_ALERTS_PATH = '/api/v1/mailroute/org/health-alerts';
const tags = ['Org'];

const SENDER_RULES =
  "Through the org's own email server, notifications are from the org's sender; when it is unset, from the server's `username` when that is an address (an authenticated account may send only as itself: Microsoft 365 refuses other senders without SendAs rights, Gmail rewrites From to the account). " +
  "Through the operator's default server they stay from MAILROUTE_MAIL_FROM, the sender its SPF and DKIM cover. " +
  'The envelope sender (bounces) and the Message-ID domain follow the From address. Queued messages keep the sender they were submitted with.';

const HEALTH_ALERT_RULES =
  "Each change of one of the org's servers' health (and a daily reminder while trouble lasts) is emailed to these addresses through the operator's default server, never through the server in trouble; the operator's MAILROUTE_HEALTH_ALERT_EMAILS get a copy.";

/** Extensions: who the caller is, the org's sender and its health alert addresses. */
export const orgRoutes: FastifyPluginAsyncTypebox<OrgRoutesOptions> = async (app, { orgs, orgSender, orgAlerts }) => {
  app.get('/api/v1/mailroute/me', {
    config: { scopes: ROUTE_SCOPES['org.read'] },
    schema: {
      operationId: 'getPrincipal',
      summary: 'Who is calling (mailroute extension)',
      description: `The org the credential belongs to, and the scopes it carries. ${scopeNote('org.read')}`,
      tags,
      response: { 200: MeResponse, ...oktaErrorResponses(401, 403, 429) },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      const org = await orgs.get(principal.orgId);
      return {
        org: { id: principal.orgId, name: org?.name ?? principal.orgId },
        actor: principal.actor,
        via: principal.via,
        scopes: principal.scopes,
      };
    },
  });

  app.get(SENDER_PATH, {
    config: { scopes: ROUTE_SCOPES['org.read'] },
    schema: {
      operationId: 'getOrgSender',
      summary: "Retrieve the org's notification sender (mailroute extension)",
      description: `${SENDER_RULES} ${scopeNote('org.read')}`,
      tags,
      response: { 200: OrgSenderResponse, ...oktaErrorResponses(401, 403, 429) },
    },
    handler: async (request) => orgSender.get(principalOf(request).orgId),
  });

  app.put(SENDER_PATH, {
    config: { scopes: ROUTE_SCOPES['org.manage'] },
    schema: {
      operationId: 'replaceOrgSender',
      summary: "Set the org's notification sender (mailroute extension)",
      description: `${SENDER_RULES} An invalid address or name answers 400 E0000001 naming the field. ${scopeNote('org.manage')}`,
      tags,
      body: OrgSenderBody,
      response: { 200: OrgSenderResponse, ...oktaErrorResponses(400, 401, 403, 429) },
    },
    handler: async (request) => orgSender.set(principalOf(request).orgId, request.body),
  });

  app.delete(SENDER_PATH, {
    config: { scopes: ROUTE_SCOPES['org.manage'] },
    schema: {
      operationId: 'deleteOrgSender',
      summary: "Clear the org's notification sender (mailroute extension)",
      description: `Notifications then go out as the enabled server's username, when an address, or the operator's default. ${scopeNote('org.manage')}`,
      tags,
      response: { 204: Type.Null({ description: 'Cleared; no body' }), ...oktaErrorResponses(401, 403, 429) },
    },
    handler: async (request, reply) => {
      await orgSender.clear(principalOf(request).orgId);
      return reply.status(204).send(null);
    },
  });

  app.get(HEALTH_ALERTS_PATH, {
    config: { scopes: ROUTE_SCOPES['org.read'] },
    schema: {
      operationId: 'getOrgHealthAlerts',
      summary: "Retrieve the org's server health alert addresses (mailroute extension)",
      description: `${HEALTH_ALERT_RULES} ${scopeNote('org.read')}`,
      tags,
      response: { 200: OrgHealthAlertsResponse, ...oktaErrorResponses(401, 403, 429) },
    },
    handler: async (request) => orgAlerts.get(principalOf(request).orgId),
  });

  app.put(HEALTH_ALERTS_PATH, {
    config: { scopes: ROUTE_SCOPES['org.manage'] },
    schema: {
      operationId: 'replaceOrgHealthAlerts',
      summary: "Set the org's server health alert addresses (mailroute extension)",
      description: `${HEALTH_ALERT_RULES} The list replaces the previous one; an empty list clears it. ${scopeNote('org.manage')}`,
      tags,
      body: OrgHealthAlertsBody,
      response: { 200: OrgHealthAlertsResponse, ...oktaErrorResponses(400, 401, 403, 429) },
    },
    handler: async (request) => orgAlerts.set(principalOf(request).orgId, request.body),
  });
};
