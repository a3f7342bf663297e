import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { EmailServerCheckService } from '../../domain/email-server-check.ts';
import { EmailServerIdParams } from '../../schemas/email-server.ts';
import { EmailServerCheckReport, EmailServerCheckRequest } from '../../schemas/email-server-check.ts';
import { oktaErrorResponses } from '../../schemas/error.ts';
import { ROUTE_SCOPES } from '../../schemas/scopes.ts';
import { principalOf } from '../auth.ts';

export interface EmailServerCheckRoutesOptions {
  emailServerChecks: EmailServerCheckService;
}

const CHECK_DOC = [
  'Extension. Walks an SMTP session with the stored configuration, stage by stage, and stops before DATA, so nothing is',
  'delivered: DNS (through the outbound guard), connect, TLS (implicit, or STARTTLS after EHLO), greeting, EHLO, the OAuth 2.0',
  'token fetch, AUTH and, with `fromAddress` (and `toAddress`), MAIL FROM (and RCPT TO), then RSET and QUIT.',
  '',
  'Answers 200 with a report whether the server passed or not: every stage with its outcome, duration and reply (credentials',
  'redacted; nothing is quoted from a destination that never greeted as SMTP), the EHLO extensions and AUTH mechanisms, the',
  'TLS protocol, cipher and certificate chain, the SPF and DMARC of the `fromAddress` domain, and advisories (certificate',
  'expiry, TLS below 1.2, password sign-in to Microsoft 365 or Gmail, missing STARTTLS, AUTH only before TLS, SPF and DMARC),',
  'each with a severity and what to do. A failed stage is classified exactly as `/test` classifies a failed send.',
].join('\n');

/** POST /api/v1/mailroute/email-servers/{id}/check. */
export const emailServerCheckRoutes: FastifyPluginAsyncTypebox<EmailServerCheckRoutesOptions> = async (
  app,
  { emailServerChecks },
) => {
  app.post('/api/v1/mailroute/email-servers/:emailServerId/check', {
    // Each check opens an outbound connection, like /test: the same bucket.
    config: { scopes: ROUTE_SCOPES['emailServers.manage'], rateLimitBucket: 'test' },
    preValidation: async (request) => {
      if (request.body === undefined) request.body = {};
    },
    schema: {
      operationId: 'checkEmailServer',
      summary: 'Check an SMTP server without sending mail',
      description: CHECK_DOC,
      tags: ['EmailServer'],
      params: EmailServerIdParams,
      body: EmailServerCheckRequest,
      response: {
        200: EmailServerCheckReport,
        ...oktaErrorResponses(400, 403, 404, 429),
      },
    },
    handler: async (request) => {
      const { emailServerId } = request.params;
      const report = await emailServerChecks.check(principalOf(request).orgId, emailServerId, request.body);
      const failed = report.failure?.stage;
      request.log.info({ emailServerId, outcome: report.outcome, stage: failed }, 'SMTP check finished');
      return report;
    },
  });
};
