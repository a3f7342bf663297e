import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type ApiResponse, request, startTestApp, type TestApp } from '../helpers/app.ts';
import {
  type DpopClient,
  newDpopClient,
  newSigningKey,
  startTestIssuer,
  type TestIssuer,
  unsignedToken,
} from '../helpers/oauth-issuer.ts';
import { assertOktaError } from '../helpers/okta-error.ts';

const AUDIENCE = 'api://mailroute';
const READ = 'okta.emailServers.read';
const MANAGE = 'okta.emailServers.manage';
const ALGS = 'RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA';
const LIMIT = '100000';

interface Call {
  method: string;
  path: string;
  body?: unknown;
}

interface Endpoint {
  name: string;
  /** The scope named in a challenge: the least one that would do. */
  scope: string;
  /** Builds a fresh request; by-id endpoints get a fresh server of the first org each time. */
  prepare(): Promise<Call & { serverId?: string }>;
  /** What an authorised caller of the server's own org gets. */
  assertSuccess(res: ApiResponse, call: Call & { serverId?: string }): void;
}

type Expectation =
  | 'success'
  | 'no_credentials'
  | 'invalid_ssws'
  | 'forbidden_ssws'
  | 'insufficient_scope'
  | 'invalid_token'
  | 'invalid_dpop_proof'
  | 'other_org';

interface Credential {
  name: string;
  scheme?: 'Bearer' | 'DPoP';
  headers(call: Call): Promise<Record<string, string>>;
  expect(endpoint: Endpoint): Expectation;
}

describe('auth: every endpoint × every credential', () => {
  let t: TestApp;
  let issuer: TestIssuer;
  let closedPort: number;
  let dpop: DpopClient;
  const otherOrg = { id: '00oOTHERORG0000000001', name: 'other' };

  before(async () => {
    issuer = await startTestIssuer(['default', 'tenants', 'stranger']);
    t = await startTestApp({
      MAILROUTE_OAUTH_ISSUERS: JSON.stringify([
        { issuer: issuer.issuer('default'), audience: AUDIENCE, jwksUri: issuer.jwksUri('default'), org: 'default' },
        { issuer: issuer.issuer('tenants'), audience: AUDIENCE, jwksUri: issuer.jwksUri('tenants'), orgClaim: 'org' },
      ]),
      MAILROUTE_OAUTH_JWKS_COOLDOWN_SECONDS: '0',
      MAILROUTE_RATE_LIMIT_GENERAL: LIMIT,
      MAILROUTE_RATE_LIMIT_TEST: LIMIT,
      MAILROUTE_MAX_SERVERS_PER_ORG: '10000',
    });
    await t.store.orgs.create({ ...otherOrg, createdAt: Date.now() });
    closedPort = await unusedPort();
    dpop = await newDpopClient();
  });
  after(async () => {
    await t?.close();
    await issuer?.close();
  });

  let counter = 0;
  const serverBody = () => ({
    alias: `matrix-${++counter}`,
    host: '127.0.0.1',
    port: closedPort,
    username: 'matrix',
    password: 'matrix-password',
  });
  async function freshServer(): Promise<string> {
    const res = await t.api('/api/v1/email-servers', { method: 'POST', body: serverBody() });
    assert.equal(res.status, 201, res.text);
    return res.body.id;
  }
  const byId =
    (method: string, suffix = '', body?: () => unknown) =>
    async () => {
      const serverId = await freshServer();
      return { method, path: `/api/v1/email-servers/${serverId}${suffix}`, body: body?.(), serverId };
    };

  const endpoints: Endpoint[] = [
    {
      name: 'GET /api/v1/email-servers',
      scope: READ,
      prepare: async () => ({ method: 'GET', path: '/api/v1/email-servers' }),
      assertSuccess: (res) => {
        assert.equal(res.status, 200, res.text);
        assert.ok(Array.isArray(res.body['email-servers']));
      },
    },
    {
      name: 'POST /api/v1/email-servers',
      scope: MANAGE,
      prepare: async () => ({ method: 'POST', path: '/api/v1/email-servers', body: serverBody() }),
      assertSuccess: (res) => {
        assert.equal(res.status, 201, res.text);
        assert.match(res.body.id, /^ces/);
      },
    },
    {
      name: 'GET /api/v1/email-servers/{id}',
      scope: READ,
      prepare: byId('GET'),
      assertSuccess: (res, call) => {
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body['email-servers'][0].id, call.serverId);
      },
    },
    {
      name: 'PATCH /api/v1/email-servers/{id}',
      scope: MANAGE,
      prepare: byId('PATCH', '', () => ({ alias: 'patched' })),
      assertSuccess: (res, call) => {
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.id, call.serverId);
        assert.equal(res.body.alias, 'patched');
      },
    },
    {
      name: 'DELETE /api/v1/email-servers/{id}',
      scope: MANAGE,
      prepare: byId('DELETE'),
      assertSuccess: (res) => {
        assert.equal(res.status, 204, res.text);
        assert.equal(res.text, '');
      },
    },
    {
      name: 'POST /api/v1/email-servers/{id}/test',
      scope: MANAGE,
      prepare: byId('POST', '/test', () => ({ fromAddress: 'from@example.com', toAddress: 'to@example.com' })),
      // Past authentication the test really connects: to a closed port, so the SMTP verdict is E0000223.
      assertSuccess: (res) => assertOktaError(res, { status: 400, errorCode: 'E0000223' }),
    },
    {
      name: 'GET /api/v1/mailroute/audit-events',
      scope: MANAGE,
      prepare: async () => ({ method: 'GET', path: '/api/v1/mailroute/audit-events?limit=1000' }),
      assertSuccess: (res) => {
        assert.equal(res.status, 200, res.text);
        assert.ok(Array.isArray(res.body));
        assert.ok(res.body.length > 0);
      },
    },
  ];

  const isRead = (endpoint: Endpoint) => endpoint.scope === READ;
  const bearer = (token: () => Promise<string>) => async () => ({ authorization: `Bearer ${await token()}` });
  const now = () => Math.floor(Date.now() / 1000);
  const sswsOf = async (options: { scopes?: string[]; expiresAt?: number; revoke?: boolean }) => {
    const { token, secret } = await t.services.apiTokens.create(t.orgId, 'matrix', options);
    if (options.revoke) await t.services.apiTokens.revoke(token.id);
    return secret;
  };
  const boundToken = () =>
    issuer.sign('default', { aud: AUDIENCE, scp: [MANAGE], cid: 'client-dpop', cnf: { jkt: dpop.jkt } });

  const credentials: Credential[] = [
    { name: 'no credentials', headers: async () => ({ authorization: '' }), expect: () => 'no_credentials' },
    {
      name: 'unknown SSWS',
      headers: async () => ({ authorization: 'SSWS 00ThisTokenWasNeverIssuedByMailroute0000000' }),
      expect: () => 'invalid_ssws',
    },
    {
      name: 'revoked SSWS',
      headers: async () => ({ authorization: `SSWS ${await sswsOf({ revoke: true })}` }),
      expect: () => 'invalid_ssws',
    },
    {
      name: 'expired SSWS',
      headers: async () => ({ authorization: `SSWS ${await sswsOf({ expiresAt: Date.now() - 1000 })}` }),
      expect: () => 'invalid_ssws',
    },
    { name: 'valid SSWS', headers: async () => ({ authorization: `SSWS ${t.token}` }), expect: () => 'success' },
    {
      name: 'scope-restricted SSWS (read)',
      headers: async () => ({ authorization: `SSWS ${await sswsOf({ scopes: [READ] })}` }),
      expect: (e) => (isRead(e) ? 'success' : 'forbidden_ssws'),
    },
    {
      name: 'Bearer read',
      scheme: 'Bearer',
      headers: bearer(() => issuer.sign('default', { aud: AUDIENCE, scp: [READ], cid: 'client-read' })),
      expect: (e) => (isRead(e) ? 'success' : 'insufficient_scope'),
    },
    {
      name: 'Bearer manage',
      scheme: 'Bearer',
      headers: bearer(() => issuer.sign('default', { aud: AUDIENCE, scp: [MANAGE], cid: 'client-manage' })),
      expect: () => 'success',
    },
    {
      name: 'Bearer with wrong audience',
      scheme: 'Bearer',
      headers: bearer(() => issuer.sign('default', { aud: 'api://somewhere-else', scp: [MANAGE] })),
      expect: () => 'invalid_token',
    },
    {
      name: 'Bearer from an untrusted issuer',
      scheme: 'Bearer',
      headers: bearer(() => issuer.sign('stranger', { aud: AUDIENCE, scp: [MANAGE] })),
      expect: () => 'invalid_token',
    },
    {
      name: 'expired Bearer',
      scheme: 'Bearer',
      headers: bearer(() =>
        issuer.sign('default', { aud: AUDIENCE, scp: [MANAGE], iat: now() - 7200, exp: now() - 3600 }),
      ),
      expect: () => 'invalid_token',
    },
    {
      name: 'Bearer with alg none',
      scheme: 'Bearer',
      headers: bearer(async () =>
        unsignedToken(
          { iss: issuer.issuer('default'), aud: AUDIENCE, scp: [MANAGE], iat: now(), exp: now() + 300 },
          issuer.keys.get('default')![0].kid,
        ),
      ),
      expect: () => 'invalid_token',
    },
    {
      name: 'Bearer signed by an unknown key',
      scheme: 'Bearer',
      headers: bearer(async () =>
        issuer.sign('default', { aud: AUDIENCE, scp: [MANAGE] }, { key: await newSigningKey() }),
      ),
      expect: () => 'invalid_token',
    },
    {
      name: "another org's Bearer",
      scheme: 'Bearer',
      headers: bearer(() =>
        issuer.sign('tenants', { aud: AUDIENCE, scp: [MANAGE], org: otherOrg.name, cid: 'client-other' }),
      ),
      expect: () => 'other_org',
    },
    {
      name: 'valid DPoP',
      scheme: 'DPoP',
      headers: async (call) => {
        const token = await boundToken();
        return {
          authorization: `DPoP ${token}`,
          dpop: await dpop.proof({ method: call.method, url: `${t.url}${call.path}`, accessToken: token }),
        };
      },
      expect: () => 'success',
    },
    {
      name: 'replayed DPoP proof',
      scheme: 'DPoP',
      headers: async (call) => {
        const token = await boundToken();
        const headers = {
          authorization: `DPoP ${token}`,
          dpop: await dpop.proof({ method: call.method, url: `${t.url}${call.path}`, accessToken: token }),
        };
        const first = await send(call, headers);
        assert.notEqual(first.status, 401, `first use of the proof must pass: ${first.text}`);
        return headers;
      },
      expect: () => 'invalid_dpop_proof',
    },
    {
      name: 'DPoP proof for another URL',
      scheme: 'DPoP',
      headers: async (call) => {
        const token = await boundToken();
        return {
          authorization: `DPoP ${token}`,
          dpop: await dpop.proof({ method: call.method, url: `${t.url}/api/v1/elsewhere`, accessToken: token }),
        };
      },
      expect: () => 'invalid_dpop_proof',
    },
  ];

  function send(call: Call, headers: Record<string, string>): Promise<ApiResponse> {
    const cleaned = Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== ''));
    return request(`${t.url}${call.path}`, { method: call.method, body: call.body, headers: cleaned });
  }

  function challenge(
    scheme: 'Bearer' | 'DPoP',
    scope: string,
    error: string,
    description: string,
    path: string,
  ): string {
    const org = t.config.publicUrl;
    const algs = scheme === 'DPoP' ? `algs="${ALGS}", ` : '';
    return `${scheme} ${algs}authorization_uri="${org}/oauth2/v1/authorize", realm="${org}", scope="${scope}", error="${error}", error_description="${description}", resource="${path.split('?')[0]}"`;
  }

  function assertRateLimitHeaders(res: ApiResponse): void {
    assert.equal(res.headers.get('x-rate-limit-limit'), LIMIT);
    assert.match(res.headers.get('x-rate-limit-remaining') ?? '', /^\d+$/);
    const reset = Number(res.headers.get('x-rate-limit-reset'));
    assert.ok(reset >= now() && reset <= now() + 61, `reset ${reset} is epoch seconds within the window`);
  }

  for (const endpoint of endpoints) {
    describe(endpoint.name, () => {
      for (const credential of credentials) {
        const expectation = credential.expect(endpoint);
        it(`${credential.name} → ${expectation}`, async () => {
          const call = await endpoint.prepare();
          const res = await send(call, await credential.headers(call));
          assert.ok(res.headers.get('x-okta-request-id'));
          assertRateLimitHeaders(res);
          const wwwAuthenticate = res.headers.get('www-authenticate');
          switch (expectation) {
            case 'success':
              endpoint.assertSuccess(res, call);
              assert.equal(wwwAuthenticate, null);
              break;
            case 'no_credentials':
              assertOktaError(res, { status: 403, errorCode: 'E0000005', errorSummary: 'Invalid session', causes: [] });
              assert.equal(wwwAuthenticate, null);
              break;
            case 'invalid_ssws':
              assertOktaError(res, {
                status: 401,
                errorCode: 'E0000011',
                errorSummary: 'Invalid token provided',
                causes: [],
              });
              assert.equal(wwwAuthenticate, null);
              break;
            case 'forbidden_ssws':
              assertOktaError(res, {
                status: 403,
                errorCode: 'E0000006',
                errorSummary: 'You do not have permission to perform the requested action',
              });
              assert.equal(wwwAuthenticate, null);
              break;
            case 'insufficient_scope':
              assert.equal(res.status, 403);
              assert.equal(res.text, '', 'an insufficient scope is answered with an empty body');
              assert.equal(
                wwwAuthenticate,
                challenge(
                  credential.scheme!,
                  endpoint.scope,
                  'insufficient_scope',
                  'The access token provided does not contain the required scopes.',
                  call.path,
                ),
              );
              break;
            case 'invalid_token':
            case 'invalid_dpop_proof':
              assertOktaError(res, {
                status: 401,
                errorCode: 'E0000011',
                errorSummary: 'Invalid token provided',
                causes: [],
              });
              assert.equal(
                wwwAuthenticate,
                challenge(
                  credential.scheme!,
                  endpoint.scope,
                  expectation,
                  expectation === 'invalid_token' ? 'The access token is invalid.' : 'The DPoP proof is invalid.',
                  call.path,
                ),
              );
              break;
            case 'other_org':
              assert.equal(wwwAuthenticate, null);
              if (call.serverId) {
                assertOktaError(res, {
                  status: 404,
                  errorCode: 'E0000007',
                  errorSummary: `Not found: Resource not found: ${call.serverId} (EmailServer)`,
                });
              } else if (call.method === 'POST') {
                assert.equal(res.status, 201, res.text);
                const own = await t.services.emailServers.get(otherOrg.id, res.body.id);
                assert.equal(own.orgId, otherOrg.id, 'created in the token’s org');
              } else if (call.path.startsWith('/api/v1/email-servers')) {
                assert.equal(res.status, 200);
                const firstOrgIds = new Set((await t.services.emailServers.list(t.orgId)).map((s) => s.id));
                assert.ok(
                  res.body['email-servers'].every((s: { id: string }) => !firstOrgIds.has(s.id)),
                  'no server of the first org',
                );
              } else {
                assert.equal(res.status, 200);
                assert.ok(
                  res.body.every((e: { actor: { id: string } }) => e.actor.id === 'client-other'),
                  'only the other org’s own events',
                );
              }
              break;
          }
        });
      }
    });
  }
});

async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
