import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type ApiResponse, startTestApp, type TestApp } from '../helpers/app.ts';
import { assertOktaError } from '../helpers/okta-error.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';

const FIRST_PASSWORD = 'Audit-First-Secret-9f3a';
const SECOND_PASSWORD = 'Audit-Second-Secret-c41e';
const AUDIT = '/api/v1/mailroute/audit-events';

interface AuditEventJson {
  uuid: string;
  published: string;
  eventType: string;
  actor: { id: string; type: string };
  target: Array<{ id: string; type: string }>;
  outcome: { result: string; reason?: string };
  changedFields?: string[];
  transaction: { id: string | null };
}

describe('audit events: every kind of change, listable by an admin, never with a secret', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let adminTokenId: string;
  /** Request id of each API call, to match events to requests. */
  const requestIds: Record<string, string> = {};
  let serverId: string;
  let brokenId: string;
  let tokenId: string;

  before(async () => {
    // The outbound guard refuses loopback unless allowed; the test SMTP servers live there.
    t = await startTestApp({ MAILROUTE_SMTP_ALLOW: '127.0.0.1' });
    smtp = await startSmtpServer({ users: { 'audit-user': SECOND_PASSWORD } });
    adminTokenId = (await t.services.apiTokens.list(t.orgId))[0].id;
  });
  after(async () => {
    await t?.close();
    await smtp?.close();
  });

  async function call(
    label: string,
    path: string,
    init: { method?: string; body?: unknown } = {},
  ): Promise<ApiResponse> {
    const res = await t.api(path, init);
    requestIds[label] = res.headers.get('x-okta-request-id')!;
    return res;
  }

  it('makes one change of each kind through the API and the token service', async () => {
    const created = await call('create', '/api/v1/email-servers', {
      method: 'POST',
      body: {
        alias: 'Audited',
        host: '127.0.0.1',
        port: smtp.port,
        username: 'audit-user',
        password: FIRST_PASSWORD,
        tlsMode: 'starttls',
        caCertificate: TEST_TLS.ca,
      },
    });
    assert.equal(created.status, 201, created.text);
    serverId = created.body.id;
    const renamed = await call('update', `/api/v1/email-servers/${serverId}`, {
      method: 'PATCH',
      body: { alias: 'Audited 2', password: SECOND_PASSWORD, port: smtp.port },
    });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(
      (await call('enable', `/api/v1/email-servers/${serverId}`, { method: 'PATCH', body: { enabled: true } })).status,
      200,
    );
    const tested = await call('test', `/api/v1/email-servers/${serverId}/test`, {
      method: 'POST',
      body: { fromAddress: 'audit@example.com', toAddress: 'someone@example.com' },
    });
    assert.equal(tested.status, 204, tested.text);
    assert.equal(
      (await call('disable', `/api/v1/email-servers/${serverId}`, { method: 'PATCH', body: { enabled: false } }))
        .status,
      200,
    );

    const broken = await call('create-broken', '/api/v1/email-servers', {
      method: 'POST',
      body: {
        alias: 'Nowhere',
        host: '127.0.0.1',
        port: await unusedPort(),
        username: 'audit-user',
        password: FIRST_PASSWORD,
      },
    });
    brokenId = broken.body.id;
    const failed = await call('test-failed', `/api/v1/email-servers/${brokenId}/test`, {
      method: 'POST',
      body: { fromAddress: 'audit@example.com', toAddress: 'someone@example.com' },
    });
    assertOktaError(failed, { status: 400, errorCode: 'E0000223' });
    assert.equal((await call('delete', `/api/v1/email-servers/${serverId}`, { method: 'DELETE' })).status, 204);

    const { token } = await t.services.apiTokens.create(t.orgId, 'audited token', {
      scopes: ['okta.emailServers.read'],
    });
    tokenId = token.id;
    assert.equal(await t.services.apiTokens.revoke(tokenId), true);
  });

  it('lists each change once, with actor, time, request id and changed field names', async () => {
    const res = await t.api(`${AUDIT}?limit=1000`);
    assert.equal(res.status, 200, res.text);
    const events: AuditEventJson[] = res.body;
    const summary = events.map((e) => [
      e.eventType,
      e.target[0].id,
      e.outcome.result,
      e.changedFields ?? null,
      e.transaction.id,
    ]);
    const admin = { id: adminTokenId, type: 'ApiToken' };
    assert.deepEqual(summary, [
      ['api_token.create', adminTokenId, 'SUCCESS', null, null],
      ['email_server.create', serverId, 'SUCCESS', null, requestIds.create],
      ['email_server.update', serverId, 'SUCCESS', ['alias', 'password'], requestIds.update],
      ['email_server.update', serverId, 'SUCCESS', ['enabled'], requestIds.enable],
      ['email_server.enable', serverId, 'SUCCESS', null, requestIds.enable],
      ['email_server.test', serverId, 'SUCCESS', null, requestIds.test],
      ['email_server.update', serverId, 'SUCCESS', ['enabled'], requestIds.disable],
      ['email_server.disable', serverId, 'SUCCESS', null, requestIds.disable],
      ['email_server.create', brokenId, 'SUCCESS', null, requestIds['create-broken']],
      ['email_server.test', brokenId, 'FAILURE', null, requestIds['test-failed']],
      ['email_server.delete', serverId, 'SUCCESS', null, requestIds.delete],
      ['api_token.create', tokenId, 'SUCCESS', null, null],
      ['api_token.revoke', tokenId, 'SUCCESS', null, null],
    ]);
    const system = { id: 'mailroute', type: 'System' };
    // The first-start admin token and the token made here came from the token service, not the API.
    assert.deepEqual(
      events.map((e) => e.actor),
      [system, ...Array(10).fill(admin), system, system],
    );
    assert.equal(events[9].outcome.reason, 'smtp_connection_failed (stage connect)');
    for (const event of events) {
      assert.match(event.uuid, /^aev[A-Za-z0-9]{20}$/);
      assert.ok(Math.abs(Date.parse(event.published) - Date.now()) < 600_000, 'published is the time of the change');
      assert.equal(event.target[0].type, event.eventType.startsWith('api_token') ? 'ApiToken' : 'EmailServer');
    }
  });

  it('never holds a password, in the API output or in the stored events', async () => {
    const res = await t.api(`${AUDIT}?limit=1000`);
    const stored = JSON.stringify(await t.store.logEvents.list(t.orgId, { limit: 1000, order: 'ASCENDING' }));
    for (const text of [res.text, stored]) {
      assert.ok(text.includes('email_server'), 'the check looks at real events');
      assert.ok(!text.includes(FIRST_PASSWORD) && !text.includes(SECOND_PASSWORD), 'no password value');
    }
    // The System Log names the server's username, as Okta's does; this view shows field names only.
    assert.ok(!res.text.includes('audit-user'), 'no other field value either');
  });

  it('pages with a Link header and filters by time', async () => {
    const all: AuditEventJson[] = (await t.api(`${AUDIT}?limit=1000`)).body;
    const paged: AuditEventJson[] = [];
    let next: string | undefined = `${AUDIT}?limit=5`;
    for (let page = 0; next && page < 10; page++) {
      const res = await t.api(next);
      assert.equal(res.status, 200);
      paged.push(...res.body);
      next = /<([^>]+)>; rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    }
    assert.deepEqual(
      paged.map((e) => e.uuid),
      all.map((e) => e.uuid),
    );
    const future = await t.api(`${AUDIT}?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    assert.deepEqual(future.body, []);
    const past = await t.api(`${AUDIT}?until=2000-01-01T00:00:00Z`);
    assert.deepEqual(past.body, []);
    assertOktaError(await t.api(`${AUDIT}?since=yesterday`), {
      status: 400,
      errorCode: 'E0000001',
      causes: ['since: Must be an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z'],
    });
  });

  it('is for admins: a read-only token is refused', async () => {
    const { secret } = await t.services.apiTokens.create(t.orgId, 'reader', { scopes: ['okta.emailServers.read'] });
    assertOktaError(await t.api(AUDIT, { headers: { authorization: `SSWS ${secret}` } }), {
      status: 403,
      errorCode: 'E0000006',
    });
    const { secret: logsReader } = await t.services.apiTokens.create(t.orgId, 'log reader', {
      scopes: ['okta.logs.read'],
    });
    assert.equal((await t.api(AUDIT, { headers: { authorization: `SSWS ${logsReader}` } })).status, 200);
  });
});

async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
