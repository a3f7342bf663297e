import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type DeliveryTestApp, startDeliveryApp, waitForStatus, welcome } from '../delivery/delivery-helpers.ts';
import { TEST_TLS } from '../helpers/smtp-server.ts';
import { startTokenEndpoint, type TestTokenEndpoint } from './helpers/token-endpoint.ts';
import { startXOAuth2SmtpServer, type XOAuth2SmtpServer } from './helpers/xoauth2-smtp-server.ts';

const MAILBOX = 'notifications@example.com';
const CLIENT_SECRET = 'delivery-Client-Secret-c41f';

describe('delivery through an enabled OAuth 2.0 server uses the same send path and the same token cache as /test', () => {
  let t: DeliveryTestApp;
  let endpoint: TestTokenEndpoint;
  let smtp: XOAuth2SmtpServer;
  let serverId: string;

  before(async () => {
    endpoint = await startTokenEndpoint([{ clientId: 'delivery-client', clientSecret: CLIENT_SECRET }]);
    smtp = await startXOAuth2SmtpServer({
      username: MAILBOX,
      isValid: (token) => endpoint.validTokens.has(token),
      refusal: 'microsoft',
    });
    t = await startDeliveryApp({ MAILROUTE_SMTP_ALLOW: '127.0.0.1/32', MAILROUTE_TOKEN_ENDPOINT_ALLOW: '127.0.0.1' });
    const res = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: {
        alias: 'Microsoft 365',
        host: '127.0.0.1',
        port: smtp.port,
        username: MAILBOX,
        enabled: true,
        authType: 'OAUTH2_CLIENT_CREDENTIALS',
        clientId: 'delivery-client',
        clientSecret: CLIENT_SECRET,
        tokenEndpoint: endpoint.url,
        tokenEndpointAuthMethod: 'CLIENT_SECRET_BASIC',
        scopes: ['https://outlook.office365.com/.default'],
        caCertificate: TEST_TLS.ca,
      },
    });
    assert.equal(res.status, 201, res.text);
    serverId = res.body.id;
  });
  after(async () => {
    await t.close();
    await smtp.close();
    await endpoint.close();
  });

  it('a /test and then notifications are sent with XOAUTH2, on one access token', async () => {
    const tested = await t.api(`/api/v1/email-servers/${serverId}/test`, {
      method: 'POST',
      body: { fromAddress: MAILBOX, toAddress: 'admin@example.org' },
    });
    assert.equal(tested.status, 204, tested.text);
    const queued = await Promise.all(
      ['ada@example.com', 'bob@example.com'].map((to) =>
        t.api('/api/v1/mailroute/notifications', { method: 'POST', body: welcome(to) }),
      ),
    );
    for (const res of queued) {
      assert.equal(res.status, 202, res.text);
      assert.equal(res.body.serverId, serverId);
      const done = await waitForStatus(t, res.body.id, 'sent');
      assert.equal(done.lastReplyCode, 250);
    }
    await smtp.waitForMessages(3);
    assert.deepEqual(
      smtp.messages.map((m) => m.user),
      [MAILBOX, MAILBOX, MAILBOX],
    );
    assert.ok(smtp.attempts.length >= 2, 'the test and the delivery pool each signed in');
    assert.ok(smtp.attempts.every((a) => a.accepted && a.accessToken === endpoint.issued[0]));
    assert.equal(endpoint.requests.length, 1, 'one token served /test and delivery');
  });

  it('a token endpoint failure during delivery is recorded as a failed attempt without secrets', async () => {
    // A second server (a new id, so no cached record) with a secret the endpoint refuses, enabled instead.
    const disabled = await t.api(`/api/v1/email-servers/${serverId}`, {
      method: 'PATCH',
      body: { authType: 'OAUTH2_CLIENT_CREDENTIALS', enabled: false },
    });
    assert.equal(disabled.status, 200, disabled.text);
    const current = await t.store.emailServers.get(t.orgId, serverId);
    const wrong = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: {
        alias: 'Wrong secret',
        host: '127.0.0.1',
        port: smtp.port,
        username: MAILBOX,
        enabled: true,
        authType: 'OAUTH2_CLIENT_CREDENTIALS',
        clientId: 'delivery-client',
        clientSecret: 'delivery-Wrong-Secret-0000',
        tokenEndpoint: endpoint.url,
        tokenEndpointAuthMethod: 'CLIENT_SECRET_BASIC',
        scopes: current?.scopes,
        caCertificate: TEST_TLS.ca,
      },
    });
    assert.equal(wrong.status, 201, wrong.text);
    const queued = await t.api('/api/v1/mailroute/notifications', {
      method: 'POST',
      body: welcome('carol@example.com'),
    });
    assert.equal(queued.body.serverId, wrong.body.id);
    const attempted = await waitForAttempt(queued.body.id);
    assert.equal(attempted.outcome, 'transient');
    assert.match(attempted.reply, /token endpoint/);
    assert.doesNotMatch(JSON.stringify(attempted), /delivery-Wrong-Secret|delivery-Client-Secret/);
  });

  async function waitForAttempt(id: string): Promise<{ outcome: string; reply: string }> {
    for (let round = 0; round < 400; round++) {
      const res = await t.api(`/api/v1/mailroute/notifications/${id}`);
      const attempt = res.body?.attemptHistory?.[0];
      if (attempt) return attempt;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`no delivery attempt recorded for ${id}`);
  }
});
