import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type DeliveryTestApp, startDeliveryApp, waitForStatus, welcome } from '../delivery/delivery-helpers.ts';
import { type ApiResponse, request, startTestApp, type TestApp } from '../helpers/app.ts';
import { startTestIssuer, type TestIssuer } from '../helpers/oauth-issuer.ts';
import { assertOktaError } from '../helpers/okta-error.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';

const AUDIT = '/api/v1/mailroute/audit-events';
const NOTIFICATIONS = '/api/v1/mailroute/notifications';

interface AuditEventJson {
  eventType: string;
  actor: { id: string; type: string };
  target: Array<{ id: string; type: string }>;
  outcome: { result: string; reason?: string };
  transaction: { id: string | null };
}

async function eventsOf(t: TestApp, prefix: string): Promise<AuditEventJson[]> {
  const res = await t.api(`${AUDIT}?limit=1000`);
  assert.equal(res.status, 200, res.text);
  return (res.body as AuditEventJson[]).filter((event) => event.eventType.startsWith(prefix));
}

const requestIdOf = (res: ApiResponse) => res.headers.get('x-okta-request-id');

describe('audit events: notifications, refused SMTP tests and failed sign-ins', () => {
  let t: DeliveryTestApp;
  let sink: TestSmtpServer;
  let adminTokenId: string;
  const admin = () => ({ id: adminTokenId, type: 'ApiToken' });

  before(async () => {
    sink = await startSmtpServer({ tls: 'none', rejectRecipients: ['nobody@example.com'] });
    t = await startDeliveryApp({
      MAILROUTE_DEFAULT_SMTP_URL: `smtp://127.0.0.1:${sink.port}/?tls=none`,
      // The test's requests come through a "proxy" on loopback that names the client.
      MAILROUTE_HTTP_TRUST_PROXY: '127.0.0.1',
    });
    adminTokenId = (await t.services.apiTokens.list(t.orgId))[0].id;
  });
  after(async () => {
    await t?.close();
    await sink?.close();
  });

  it('records each notification submission once, and each resend or refused resend', async () => {
    const submit = (body: unknown, key: string) =>
      t.api(NOTIFICATIONS, { method: 'POST', body, headers: { 'idempotency-key': key } });
    const first = await submit(welcome('ada@example.com'), 'audit-key-1');
    assert.equal(first.status, 202, first.text);
    const replay = await submit(welcome('ada@example.com'), 'audit-key-1');
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    const doomed = await submit(welcome('nobody@example.com'), 'audit-key-2');
    await waitForStatus(t, doomed.body.id, 'failed');

    const refused = await t.api(`${NOTIFICATIONS}/${first.body.id}/resend`, { method: 'POST' });
    assertOktaError(refused, { status: 400, errorCode: 'E0000001' });
    const resent = await t.api(`${NOTIFICATIONS}/${doomed.body.id}/resend`, { method: 'POST' });
    assert.equal(resent.status, 202, resent.text);

    const events = await eventsOf(t, 'notification.');
    assert.deepEqual(
      events.map((e) => [e.eventType, e.target[0], e.outcome.result, e.transaction.id]),
      [
        ['notification.submit', { id: first.body.id, type: 'Notification' }, 'SUCCESS', requestIdOf(first)],
        ['notification.submit', { id: doomed.body.id, type: 'Notification' }, 'SUCCESS', requestIdOf(doomed)],
        ['notification.resend', { id: first.body.id, type: 'Notification' }, 'FAILURE', requestIdOf(refused)],
        ['notification.resend', { id: doomed.body.id, type: 'Notification' }, 'SUCCESS', requestIdOf(resent)],
      ],
    );
    assert.match(events[2].outcome.reason ?? '', /^refused: Only failed notifications can be resent/);
    for (const event of events) assert.deepEqual(event.actor, admin());
    const text = JSON.stringify(events);
    assert.ok(!text.includes('example.com') && !text.includes('Ada'), 'no recipient or variable values');
  });

  it('records SMTP tests refused before any mail: guard, unknown server, missing address', async () => {
    const created = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: { alias: 'Documentation', host: '192.0.2.25', port: 587, username: 'u', password: 'Guarded-Secret-77' },
    });
    assert.equal(created.status, 201, created.text);
    const serverId = created.body.id;
    const addresses = { fromAddress: 'audit@example.com', toAddress: 'someone@example.com' };
    const test = (id: string, body: unknown) => t.api(`/api/v1/email-servers/${id}/test`, { method: 'POST', body });

    const guarded = await test(serverId, addresses);
    assertOktaError(guarded, { status: 400, errorCode: 'E0000223' });
    const unknown = await test('0oaunknownserver0000', addresses);
    assertOktaError(unknown, { status: 404, errorCode: 'E0000007' });
    const incomplete = await test(serverId, { fromAddress: 'audit@example.com' });
    assertOktaError(incomplete, { status: 400, errorCode: 'E0000001' });

    const events = await eventsOf(t, 'email_server.test');
    assert.deepEqual(
      events.map((e) => [e.target[0].id, e.outcome.result, e.outcome.reason, e.transaction.id]),
      [
        [serverId, 'FAILURE', 'smtp_connection_failed (destination refused)', requestIdOf(guarded)],
        ['0oaunknownserver0000', 'FAILURE', 'refused: not_found', requestIdOf(unknown)],
        [serverId, 'FAILURE', 'refused: invalid_input (toAddress)', requestIdOf(incomplete)],
      ],
    );
    assert.ok(!JSON.stringify(events).includes('example.com'), 'no address values');
  });

  it('records failed sign-ins with the reason, never the credential', async () => {
    const unknownSecret = '00UnknownTokenSecretValue0000000000000000x';
    const { token: revoked, secret: revokedSecret } = await t.services.apiTokens.create(t.orgId, 'to revoke');
    await t.services.apiTokens.revoke(revoked.id);
    const { token: expired, secret: expiredSecret } = await t.services.apiTokens.create(t.orgId, 'expired', {
      expiresAt: Date.now() - 1000,
    });
    const from = { 'x-forwarded-for': '198.51.100.20' };
    const attempts: Array<[string, string]> = [
      // The admin page signs in by listing the servers with the token it was given.
      ['/api/v1/email-servers', `SSWS ${unknownSecret}`],
      ['/api/v1/email-servers', `SSWS ${revokedSecret}`],
      ['/api/v1/mailroute/notifications', `SSWS ${expiredSecret}`],
      ['/api/v1/email-servers', `Basic ${unknownSecret}`],
      ['/api/v1/email-servers', unknownSecret],
      ['/api/v1/email-servers', `Bearer ${unknownSecret}`],
    ];
    const requestIds: Array<string | null> = [];
    for (const [path, authorization] of attempts) {
      const res = await t.api(path, { headers: { authorization, ...from } });
      assert.equal(res.status, 401, res.text);
      requestIds.push(requestIdOf(res));
    }
    // No credential at all is not a sign-in attempt.
    assert.equal((await request(`${t.url}/api/v1/email-servers`, { headers: from })).status, 403);

    const events = await eventsOf(t, 'sign_in.');
    const anonymous = { id: '198.51.100.20', type: 'Anonymous' };
    const org = { id: t.orgId, type: 'Org' };
    assert.deepEqual(
      events.map((e) => [e.actor, e.target[0], e.outcome.result, e.outcome.reason, e.transaction.id]),
      [
        [anonymous, org, 'FAILURE', 'unknown_token (SSWS) from 198.51.100.20', requestIds[0]],
        [
          { id: revoked.id, type: 'ApiToken' },
          { id: revoked.id, type: 'ApiToken' },
          'FAILURE',
          'revoked_token (SSWS) from 198.51.100.20',
          requestIds[1],
        ],
        [
          { id: expired.id, type: 'ApiToken' },
          { id: expired.id, type: 'ApiToken' },
          'FAILURE',
          'expired_token (SSWS) from 198.51.100.20',
          requestIds[2],
        ],
        [anonymous, org, 'FAILURE', 'unsupported_scheme (other) from 198.51.100.20', requestIds[3]],
        [anonymous, org, 'FAILURE', 'unsupported_scheme (other) from 198.51.100.20', requestIds[4]],
        [
          anonymous,
          org,
          'FAILURE',
          'invalid_access_token (Bearer: OAuth access tokens are not configured) from 198.51.100.20',
          requestIds[5],
        ],
      ],
    );
    const stored = JSON.stringify(await t.store.logEvents.list(t.orgId, { limit: 1000, order: 'ASCENDING' }));
    const listed = JSON.stringify(events);
    for (const secret of [unknownSecret, revokedSecret, expiredSecret]) {
      assert.ok(!listed.includes(secret) && !stored.includes(secret), 'no credential in the audit log');
      assert.ok(!stored.includes(secret.slice(0, 12)), 'not even a prefix of one');
    }
  });
});

describe('failed sign-ins: an anonymous flood cannot fill the audit log', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ MAILROUTE_HTTP_TRUST_PROXY: '127.0.0.1' });
  });
  after(async () => {
    await t?.close();
  });

  it('records at most 10 a minute per client address and 120 a minute in all', async () => {
    const fail = (address: string, n: number) =>
      request(`${t.url}/api/v1/email-servers`, {
        headers: { authorization: `SSWS flood-${n}`, 'x-forwarded-for': address },
      });
    // 15 addresses x 12 failures: 180 refused requests, every one answered 401.
    for (let a = 0; a < 15; a++) {
      const statuses = await Promise.all(Array.from({ length: 12 }, (_, n) => fail(`203.0.113.${a + 1}`, n)));
      assert.deepEqual(new Set(statuses.map((res) => res.status)), new Set([401]));
    }
    const events = await eventsOf(t, 'sign_in.failure');
    assert.equal(events.length, 120);
    const perAddress = new Map<string, number>();
    for (const event of events) perAddress.set(event.actor.id, (perAddress.get(event.actor.id) ?? 0) + 1);
    assert.equal(Math.max(...perAddress.values()), 10);
    assert.equal(perAddress.size, 12, 'the first 12 addresses, 10 each');
  });
});

describe('failed sign-ins with OAuth access tokens', () => {
  let t: TestApp;
  let issuer: TestIssuer;
  const audience = 'api://mailroute';
  before(async () => {
    issuer = await startTestIssuer(['default']);
    t = await startTestApp({
      MAILROUTE_OAUTH_ISSUER: issuer.issuer('default'),
      MAILROUTE_OAUTH_AUDIENCE: audience,
      MAILROUTE_OAUTH_JWKS_URI: issuer.jwksUri('default'),
    });
  });
  after(async () => {
    await t?.close();
    await issuer?.close();
  });

  it('records an expired token, an unbound DPoP token and a missing proof, never the token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const scp = ['okta.emailServers.read'];
    const expired = await issuer.sign('default', { aud: audience, scp, iat: now - 600, exp: now - 300 });
    const unbound = await issuer.sign('default', { aud: audience, scp });
    const bound = await issuer.sign('default', { aud: audience, scp, cnf: { jkt: 'some-key-thumbprint' } });
    for (const authorization of [`Bearer ${expired}`, `DPoP ${unbound}`, `DPoP ${bound}`]) {
      const res = await request(`${t.url}/api/v1/email-servers`, { headers: { authorization } });
      assert.equal(res.status, 401, res.text);
    }
    const events = await eventsOf(t, 'sign_in.');
    assert.deepEqual(
      events.map((e) => [e.actor.type, e.target[0].type, e.outcome.reason]),
      [
        ['Anonymous', 'Org', 'invalid_access_token (Bearer: ERR_JWT_EXPIRED) from 127.0.0.1'],
        ['Anonymous', 'Org', 'invalid_access_token (DPoP: token not DPoP-bound) from 127.0.0.1'],
        ['Anonymous', 'Org', 'invalid_dpop_proof (DPoP: one DPoP header required) from 127.0.0.1'],
      ],
    );
    const stored = JSON.stringify(await t.store.logEvents.list(t.orgId, { limit: 1000, order: 'ASCENDING' }));
    for (const token of [expired, unbound, bound]) {
      assert.ok(!stored.includes(token.split('.')[1]), 'no part of a token in the audit log');
    }
  });
});
