import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ApiResponse, startTestApp, type TestApp } from '../helpers/app.ts';
import { assertOktaError } from '../helpers/okta-error.ts';
import { TEST_TLS } from '../helpers/smtp-server.ts';
import { rsaKeyPair, startTokenEndpoint, type TestTokenEndpoint } from './helpers/token-endpoint.ts';
import { startXOAuth2SmtpServer, type XOAuth2SmtpServer } from './helpers/xoauth2-smtp-server.ts';

const MAILBOX = 'mailer@example.com';
const ADDRESSES = { fromAddress: MAILBOX, toAddress: 'someone@example.org' };
const CLIENT_SECRET = 'cc-Secret-for-oauth-tests-7f3a';
const WRONG_SECRET = 'cc-Wrong-secret-for-oauth-tests';
const { privateKeyPem, publicKey } = rsaKeyPair();
const JWT = {
  keyId: 'key-2024-1',
  issuer: 'mailroute-sa@project.iam.example.com',
  subject: MAILBOX,
  scope: 'https://mail.google.com/',
};

/** The `errorCauses` lines as a map from name (text before `: `) to value. */
function causesOf(res: ApiResponse): Record<string, string> {
  return Object.fromEntries(
    res.body.errorCauses.map((c: { errorSummary: string }) => {
      const at = c.errorSummary.indexOf(': ');
      return [c.errorSummary.slice(0, at), c.errorSummary.slice(at + 2)];
    }),
  );
}

describe('OAuth 2.0 SMTP sign-in: POST /api/v1/email-servers/{id}/test against a token endpoint and an XOAUTH2 server on 127.0.0.1', () => {
  let t: TestApp;
  let endpoint: TestTokenEndpoint;
  let gmail: XOAuth2SmtpServer;
  let microsoft: XOAuth2SmtpServer;

  before(async () => {
    endpoint = await startTokenEndpoint([
      { clientId: 'cc-basic', clientSecret: CLIENT_SECRET },
      { clientId: 'cc-post', clientSecret: CLIENT_SECRET },
      { clientId: 'cc-refresh', clientSecret: CLIENT_SECRET },
      { clientId: 'cc-refused', clientSecret: CLIENT_SECRET },
      { clientId: 'cc-concurrent', clientSecret: CLIENT_SECRET },
      { clientId: 'cc-microsoft', clientSecret: CLIENT_SECRET },
      { clientId: 'jwt-client', publicKey, keyId: JWT.keyId, issuer: JWT.issuer, subject: JWT.subject },
    ]);
    const isValid = (token: string) => endpoint.validTokens.has(token);
    gmail = await startXOAuth2SmtpServer({ username: MAILBOX, isValid, refusal: 'gmail' });
    microsoft = await startXOAuth2SmtpServer({ username: MAILBOX, isValid, refusal: 'microsoft' });
    t = await startTestApp({
      MAILROUTE_RESPONSE_SHAPE: 'okta',
      MAILROUTE_MAX_SERVERS_PER_ORG: '100',
      MAILROUTE_RATE_LIMIT_TEST: '1000',
      MAILROUTE_SMTP_TESTS_IN_FLIGHT_PER_ORG: '20',
      // The guards refuse loopback unless the operator allows it; token endpoints have their own list.
      MAILROUTE_SMTP_ALLOW: '127.0.0.1/32',
      MAILROUTE_TOKEN_ENDPOINT_ALLOW: '127.0.0.1',
    });
  });
  after(async () => {
    await t.close();
    await gmail.close();
    await microsoft.close();
    await endpoint.close();
  });

  async function createClientCredentials(clientId: string, fields: Record<string, unknown> = {}): Promise<string> {
    const res = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: {
        alias: `OAuth ${clientId}`,
        host: '127.0.0.1',
        port: gmail.port,
        username: MAILBOX,
        authType: 'OAUTH2_CLIENT_CREDENTIALS',
        clientId,
        clientSecret: CLIENT_SECRET,
        tokenEndpoint: endpoint.url,
        tokenEndpointAuthMethod: 'CLIENT_SECRET_BASIC',
        scopes: ['https://outlook.office365.com/.default'],
        caCertificate: TEST_TLS.ca,
        ...fields,
      },
    });
    assert.equal(res.status, 201, res.text);
    return res.body.id;
  }

  const runTest = (id: string) => t.api(`/api/v1/email-servers/${id}/test`, { method: 'POST', body: ADDRESSES });
  const requestsOf = (clientId: string) => endpoint.requests.filter((r) => r.clientId === clientId);

  it('OAUTH2_CLIENT_CREDENTIALS with CLIENT_SECRET_BASIC: fetches a token and sends the test message with XOAUTH2', async () => {
    const id = await createClientCredentials('cc-basic');
    const res = await runTest(id);
    assert.equal(res.status, 204, res.text);
    const [request] = requestsOf('cc-basic');
    assert.equal(request.grantType, 'client_credentials');
    assert.equal(request.clientAuth, 'basic');
    assert.equal(request.scope, 'https://outlook.office365.com/.default');
    assert.doesNotMatch(request.rawBody, /client_secret/, 'BASIC keeps the secret out of the form body');
    const attempt = gmail.attempts.at(-1)!;
    assert.deepEqual(attempt, { username: MAILBOX, accessToken: endpoint.issued.at(-1), accepted: true });
    const message = gmail.messages.at(-1)!;
    assert.equal(message.user, MAILBOX);
    assert.deepEqual(message.to, [ADDRESSES.toAddress]);
  });

  it('OAUTH2_CLIENT_CREDENTIALS with CLIENT_SECRET_POST: the client authenticates in the form body', async () => {
    const id = await createClientCredentials('cc-post', { tokenEndpointAuthMethod: 'CLIENT_SECRET_POST' });
    const sent = gmail.messages.length;
    assert.equal((await runTest(id)).status, 204);
    const [request] = requestsOf('cc-post');
    assert.equal(request.clientAuth, 'post');
    assert.equal(new URLSearchParams(request.rawBody).get('client_secret'), CLIENT_SECRET);
    assert.equal(gmail.messages.length, sent + 1);
  });

  it('OAUTH2_JWT_BEARER_GRANT: signs an RS256 assertion (kid, iss, sub, aud, scope) and sends with the token it is exchanged for', async () => {
    const res = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: {
        alias: 'Google Workspace',
        host: '127.0.0.1',
        port: gmail.port,
        username: MAILBOX,
        authType: 'OAUTH2_JWT_BEARER_GRANT',
        clientId: 'jwt-client',
        tokenEndpoint: endpoint.url,
        signingAlgorithm: 'RS256',
        keyId: JWT.keyId,
        issuer: JWT.issuer,
        subject: JWT.subject,
        audience: endpoint.url,
        scopes: [JWT.scope],
        privateKey: privateKeyPem,
        caCertificate: TEST_TLS.ca,
      },
    });
    assert.equal(res.status, 201, res.text);
    const before = endpoint.requests.length;
    const sent = gmail.messages.length;
    assert.equal((await runTest(res.body.id)).status, 204);
    const request = endpoint.requests[before];
    assert.equal(request.grantType, 'urn:ietf:params:oauth:grant-type:jwt-bearer');
    assert.equal(request.clientAuth, 'none');
    // The endpoint verified the signature with the public key before recording these.
    assert.ok(request.assertion, 'the assertion verified against the public key');
    assert.deepEqual(request.assertion.header, { alg: 'RS256', typ: 'JWT', kid: JWT.keyId });
    const { claims } = request.assertion;
    assert.equal(claims.iss, JWT.issuer);
    assert.equal(claims.sub, JWT.subject);
    assert.equal(claims.aud, endpoint.url);
    assert.equal(claims.scope, JWT.scope);
    assert.equal(typeof claims.jti, 'string');
    assert.ok(Number(claims.exp) > Number(claims.iat));
    assert.equal(gmail.messages.length, sent + 1);
    assert.equal(gmail.attempts.at(-1)?.accessToken, endpoint.issued.at(-1));
  });

  it('a wrong client secret → 400 E0000266 with the endpoint’s error and error_description and a hint; SMTP is never contacted', async () => {
    const id = await createClientCredentials('cc-basic', { alias: 'Wrong secret', clientSecret: WRONG_SECRET });
    const attempts = gmail.attempts.length;
    const res = await runTest(id);
    assertOktaError(res, {
      status: 400,
      errorCode: 'E0000266',
      errorSummary:
        'Failed to get access token for SMTP server configuration. Failure details: invalid_client (Client authentication failed: unknown client or wrong secret).',
    });
    const causes = causesOf(res);
    assert.equal(causes.error, 'invalid_client');
    assert.equal(causes.error_description, 'Client authentication failed: unknown client or wrong secret');
    assert.match(causes.hint, /clientSecret/);
    assert.equal(gmail.attempts.length, attempts, 'no AUTH was attempted without a token');
    assert.doesNotMatch(res.text, new RegExp(WRONG_SECRET));
  });

  it('an access token the SMTP server refuses (334 challenge, as Gmail) is refreshed once and the send succeeds', async () => {
    const id = await createClientCredentials('cc-refresh');
    assert.equal((await runTest(id)).status, 204);
    assert.equal(requestsOf('cc-refresh').length, 1);
    // Cached: the next send needs no new token.
    assert.equal((await runTest(id)).status, 204);
    assert.equal(requestsOf('cc-refresh').length, 1, 'the cached token is reused');
    const stale = gmail.attempts.at(-1)!.accessToken!;
    endpoint.revoke(stale);

    const attempts = gmail.attempts.length;
    const sent = gmail.messages.length;
    assert.equal((await runTest(id)).status, 204);
    assert.equal(requestsOf('cc-refresh').length, 2, 'exactly one refresh');
    const fresh = endpoint.issued.at(-1);
    assert.deepEqual(
      gmail.attempts.slice(attempts).map((a) => [a.accessToken, a.accepted]),
      [
        [stale, false],
        [fresh, true],
      ],
    );
    assert.equal(gmail.messages.length, sent + 1);
  });

  it('an access token refused with 535 at once (as Microsoft 365) is refreshed once and the send succeeds', async () => {
    const id = await createClientCredentials('cc-microsoft', { port: microsoft.port });
    assert.equal((await runTest(id)).status, 204);
    const stale = microsoft.attempts.at(-1)!.accessToken!;
    endpoint.revoke(stale);
    const attempts = microsoft.attempts.length;
    assert.equal((await runTest(id)).status, 204);
    assert.equal(requestsOf('cc-microsoft').length, 2);
    assert.deepEqual(
      microsoft.attempts.slice(attempts).map((a) => a.accepted),
      [false, true],
    );
  });

  it('a server that refuses even the fresh token → E0000224 after exactly one refresh', async () => {
    const id = await createClientCredentials('cc-refused', { username: 'someone-else@example.com' });
    const res = await runTest(id);
    assertOktaError(res, {
      status: 400,
      errorCode: 'E0000224',
      errorSummary: 'Authentication with the specified SMTP server failed.',
    });
    assert.equal(causesOf(res).stage, 'auth');
    assert.match(causesOf(res).reply, /^535/);
    assert.equal(requestsOf('cc-refused').length, 2, 'one token, one refresh, no more');
    for (const token of endpoint.issued) assert.doesNotMatch(res.text, new RegExp(token));
  });

  it('concurrent sends through one server fetch one token', async () => {
    const id = await createClientCredentials('cc-concurrent');
    // Hold the token response until the first fetch arrives, so the sends pile up behind it.
    const before = endpoint.requests.length;
    endpoint.hold();
    const sends = Array.from({ length: 6 }, () => runTest(id));
    await endpoint.waitForRequests(before + 1);
    endpoint.release();
    const results = await Promise.all(sends);
    assert.deepEqual(
      results.map((r) => r.status),
      [204, 204, 204, 204, 204, 204],
    );
    assert.equal(requestsOf('cc-concurrent').length, 1);
  });

  it('the token endpoint passes the destination guard: one that is not allowed → E0000266 without a request', async () => {
    // ::1 is loopback and not in MAILROUTE_TOKEN_ENDPOINT_ALLOW (only 127.0.0.1 is): refused before any connection.
    const id = await createClientCredentials('cc-basic', {
      alias: 'Guarded',
      tokenEndpoint: 'http://[::1]:9/oauth2/token',
    });
    const before = endpoint.requests.length;
    const res = await runTest(id);
    assertOktaError(res, {
      status: 400,
      errorCode: 'E0000266',
      errorSummary:
        'Failed to get access token for SMTP server configuration. Failure details: the token endpoint is not allowed.',
    });
    assert.equal(causesOf(res).hint, 'the destination is not allowed');
    assert.equal(endpoint.requests.length, before);
  });
});
