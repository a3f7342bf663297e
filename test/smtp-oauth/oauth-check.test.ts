import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { TEST_TLS } from '../helpers/smtp-server.ts';
import { startTokenEndpoint, type TestTokenEndpoint } from './helpers/token-endpoint.ts';
import { startXOAuth2SmtpServer, type XOAuth2SmtpServer } from './helpers/xoauth2-smtp-server.ts';

const MAILBOX = 'notifications@example.com';
const CLIENT_SECRET = 'check-Client-Secret-9d2e';

describe('the server check signs in with XOAUTH2 after a token stage', () => {
  let t: TestApp;
  let endpoint: TestTokenEndpoint;
  let smtp: XOAuth2SmtpServer;

  async function createServer(clientSecret: string): Promise<string> {
    const res = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: {
        alias: 'Microsoft 365',
        host: '127.0.0.1',
        port: smtp.port,
        username: MAILBOX,
        authType: 'OAUTH2_CLIENT_CREDENTIALS',
        clientId: 'check-client',
        clientSecret,
        tokenEndpoint: endpoint.url,
        tokenEndpointAuthMethod: 'CLIENT_SECRET_BASIC',
        scopes: ['https://outlook.office365.com/.default'],
        caCertificate: TEST_TLS.ca,
      },
    });
    assert.equal(res.status, 201, res.text);
    return res.body.id;
  }

  before(async () => {
    endpoint = await startTokenEndpoint([{ clientId: 'check-client', clientSecret: CLIENT_SECRET }]);
    smtp = await startXOAuth2SmtpServer({
      username: MAILBOX,
      isValid: (token) => endpoint.validTokens.has(token),
      refusal: 'microsoft',
    });
    t = await startTestApp({ MAILROUTE_OUTBOUND_ALLOW: '127.0.0.1', MAILROUTE_TOKEN_ENDPOINT_ALLOW: '127.0.0.1' });
  });
  after(async () => {
    await t?.close();
    await smtp?.close();
    await endpoint?.close();
  });

  it('passes token and auth stages, gives no password advisory and shows no secret or token', async () => {
    const id = await createServer(CLIENT_SECRET);
    const res = await t.api(`/api/v1/mailroute/email-servers/${id}/check`, { method: 'POST', body: {} });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.outcome, 'passed', res.text);
    const stages = res.body.stages.map((s: { stage: string; outcome: string }) => `${s.stage}:${s.outcome}`);
    assert.ok(stages.includes('token:passed') && stages.includes('auth:passed'), stages.join(' '));
    assert.ok(stages.indexOf('token:passed') < stages.indexOf('auth:passed'));
    assert.ok(res.body.authMechanisms.includes('XOAUTH2'), res.text);
    assert.ok(!res.body.advisories.some((a: { code: string }) => a.code === 'basic_auth_retiring'));
    assert.ok(!res.text.includes(CLIENT_SECRET));
    for (const token of endpoint.validTokens) assert.ok(!res.text.includes(token));
  });

  it('fails at the token stage when the token endpoint refuses the client', async () => {
    const id = await createServer('not-the-Client-Secret-1');
    const res = await t.api(`/api/v1/mailroute/email-servers/${id}/check`, { method: 'POST', body: {} });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.outcome, 'failed');
    assert.equal(res.body.failure.stage, 'token', res.text);
    assert.ok(!res.body.stages.some((s: { stage: string }) => s.stage === 'auth'), res.text);
  });
});
