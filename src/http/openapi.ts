import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { ROUTE_SCOPES } from '../schemas/scopes.ts';
import { registerDocsUi } from './docs-ui.ts';
import { ERROR_TABLE } from './error-table.ts';

/** OpenAPI 3 generated from the route schemas, served at /openapi.json, with a docs page at /docs. */
export async function registerOpenApi(app: FastifyInstance, publicUrl: string): Promise<void> {
  const errorCodes = Object.values(ERROR_TABLE)
    .map((e) => `| ${e.errorCode} | ${e.status} | ${e.summary} |`)
    .filter((row, i, rows) => rows.indexOf(row) === i)
    .join('\n');
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'mailroute: Okta-compatible Email Servers API',
        version: '1.0.0',
        description: `Okta's Email Servers API, wire-compatible with Okta's SDKs, plus documented extensions.\n\n| errorCode | HTTP | errorSummary |\n|---|---|---|\n${errorCodes}`,
      },
      servers: [{ url: publicUrl }],
      components: {
        securitySchemes: {
          apiToken: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'SSWS {API token}' },
          oauth2AccessToken: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'OAuth 2.0 access token from a configured issuer: `Bearer <JWT>`, or `DPoP <JWT>` with a `DPoP` proof header (RFC 9449). ' +
              `Email server GETs need ${ROUTE_SCOPES['emailServers.read'].join(' or ')}, everything else ${ROUTE_SCOPES['emailServers.manage'].join(' or ')}; ` +
              "each extension operation's description names the scopes it accepts. " +
              'A missing scope is answered 403 with an empty body and a `WWW-Authenticate: Bearer ... error="insufficient_scope"` challenge. ' +
              'Every API response carries X-Rate-Limit-Limit, X-Rate-Limit-Remaining and X-Rate-Limit-Reset (UTC epoch seconds).',
          },
        },
      },
      security: [{ apiToken: [] }, { oauth2AccessToken: [] }],
    },
  });
  await registerDocsUi(app);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
