import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { AuditedEmailServerTests } from '../../domain/audited-email-server-tests.ts';
import { SmtpTestFailure } from '../../domain/smtp-test-failure.ts';
import { EmailServerIdParams } from '../../schemas/email-server.ts';
import { EmailServerTestError, EmailServerTestQuery, EmailTestAddresses } from '../../schemas/email-server-test.ts';
import { oktaErrorResponses } from '../../schemas/error.ts';
import { ROUTE_SCOPES } from '../../schemas/scopes.ts';
import { changeContextOf, principalOf } from '../auth.ts';
import { smtpTestFailureResponse } from '../smtp-test-failure-response.ts';

export interface EmailServerTestRoutesOptions {
  emailServerTests: AuditedEmailServerTests;
}

const DIAGNOSIS_DOC = [
  'Sends a real test message through the stored configuration (connect, TLS, EHLO, AUTH, MAIL FROM, RCPT TO, DATA). 204 on success.',
  '',
  'On failure the Okta envelope says which step failed: E0000223 (connection, DNS, TLS, protocol, refused destination) or',
  'E0000224 (authentication). `errorCauses[].errorSummary` lines are `name: value`, in this order, each only when known:',
  '`stage: dns|connect|tls|greeting|auth|sender|recipient|data`, `reply: <SMTP reply code and text, credentials redacted>`,',
  '`certificateSubject: ...`, `certificateIssuer: ...`, `tlsError: <why TLS failed>`, `hint: <what to do>`.',
  'A destination refused by the outbound guard has the single cause `destination: the destination is not allowed`.',
  'OAuth 2.0 servers: when the token endpoint refuses or fails, E0000266 (`Failure details: <error> (<error_description>)`) with',
  "the causes `stage: auth`, `error: <the endpoint's error>`, `error_description: <its description>` and `hint: <what to check>`.",
  'More than the allowed number of tests in flight for the org answers 429 E0000047.',
  '',
  'Extension: with `?expand=diagnosis` a failed test also carries `diagnosis`, the same facts as an object',
  '(`stage`, `reply {code, text}`, `tls {subject, issuer, reason}`, `oauth {error, errorDescription}`, `hint`, or only',
  "`refused: true`), after Okta's fields. Without it the body is exactly Okta's envelope.",
  '',
  'Example (a certificate from a private CA that was not given as `caCertificate`):',
  '```json',
  JSON.stringify(
    {
      errorCode: 'E0000223',
      errorSummary: 'Connection with the specified SMTP server failed.',
      errorLink: 'E0000223',
      errorId: 'oaetmS7BUJbCmHGZhU3r5Ny0n',
      errorCauses: [
        'stage: tls',
        'certificateSubject: CN=mail.example.com',
        'certificateIssuer: CN=Example Corp Internal CA',
        'tlsError: unable to verify the first certificate',
        'hint: the certificate is not trusted: add the CA certificate (caCertificate) or use a certificate from a public CA',
      ].map((errorSummary) => ({ errorSummary })),
    },
    null,
    2,
  ),
  '```',
].join('\n');

/** POST /api/v1/email-servers/{id}/test (Okta's testEmailServer). */
export const emailServerTestRoutes: FastifyPluginAsyncTypebox<EmailServerTestRoutesOptions> = async (
  app,
  { emailServerTests },
) => {
  app.post('/api/v1/email-servers/:emailServerId/test', {
    config: { scopes: ROUTE_SCOPES['emailServers.manage'] },
    // No body at all is missing addresses (E0000001 naming both), not a malformed body.
    preValidation: async (request) => {
      if (request.body === undefined) request.body = {};
    },
    schema: {
      operationId: 'testEmailServer',
      summary: 'Test an SMTP server configuration',
      description: DIAGNOSIS_DOC,
      tags: ['EmailServer'],
      params: EmailServerIdParams,
      querystring: EmailServerTestQuery,
      body: EmailTestAddresses,
      response: {
        204: Type.Null({ description: 'The server accepted the test message; no body' }),
        ...oktaErrorResponses(403, 404, 429),
        400: EmailServerTestError,
      },
    },
    handler: async (request, reply) => {
      const { emailServerId } = request.params;
      try {
        await emailServerTests.test(principalOf(request).orgId, emailServerId, request.body, changeContextOf(request));
      } catch (error) {
        if (!(error instanceof SmtpTestFailure)) throw error;
        // The stage, kind and guard rule only: replies and hints stay in the response, credentials nowhere.
        const stage = error.diagnosis.stage ?? 'destination';
        const refusedBy = error.diagnosis.refusedBy;
        request.log.info({ emailServerId, stage, errorKind: error.kind, refusedBy }, 'SMTP test failed');
        throw smtpTestFailureResponse(error, { withDiagnosis: request.query.expand === 'diagnosis' });
      }
      request.log.info({ emailServerId }, 'SMTP test message accepted');
      return reply.status(204).send(null);
    },
  });
};
