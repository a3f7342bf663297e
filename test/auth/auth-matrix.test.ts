import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ROUTE_SCOPES, type RouteGroup, SCOPES, type Scope } from '../../src/schemas/scopes.ts';
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
const READ: Scope = 'okta.emailServers.read';
const MANAGE: Scope = 'okta.emailServers.manage';
const NOTIFICATIONS_READ: Scope = 'mailroute.notifications.read';
const NOTIFICATIONS_SEND: Scope = 'mailroute.notifications.send';
const NOTIFICATIONS = '/api/v1/mailroute/notifications';
const SENDER = '/api/v1/mailroute/org/sender';
const HEALTH_ALERTS = '/api/v1/mailroute/org/health-alerts';
const ALGS = 'RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA';
const LIMIT = '100000';

interface Call {
  method: string;
  path: string;
  body?: unknown;
}

interface Endpoint {
  name: string;
  /** The route group: its catalogued scopes open it, and the first is named in a challenge. */
  group: RouteGroup;
  /** Builds a fresh request; by-id endpoints get a fresh resource of the first org each time. */
  prepare(): Promise<Call & { serverId?: string }>;
  /** What an authorised caller of the resource's own org gets. */
  assertSuccess(res: ApiResponse, call: Call & { serverId?: string }): void;
  /** What a caller of another org gets (email server endpoints: the shared checks below). */
  assertOtherOrg?(res: ApiResponse, call: Call): Promise<void>;
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
      MAILROUTE_RATE_LIMIT_NOTIFICATIONS: LIMIT,
      MAILROUTE_MAX_SERVERS_PER_ORG: '10000',
      MAILROUTE_OUTBOUND_ALLOW: '127.0.0.1',
      // A refused /test answers after the connect and greeting timeouts: keep the matrix quick.
      MAILROUTE_SMTP_CONNECTION_TIMEOUT_MS: '1000',
      MAILROUTE_SMTP_GREETING_TIMEOUT_MS: '1000',
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
  const notificationBody = () => ({
    template: 'welcome',
    recipient: `matrix-${++counter}@example.com`,
    variables: { firstName: 'Ada', orgName: 'Example', loginUrl: 'https://example.com/login' },
  });
  async function freshNotification(): Promise<string> {
    const res = await t.api(NOTIFICATIONS, { method: 'POST', body: notificationBody() });
    assert.equal(res.status, 202, res.text);
    return res.body.id;
  }
  const byId =
    (method: string, suffix = '', body?: () => unknown) =>
    async () => {
      const serverId = await freshServer();
      return { method, path: `/api/v1/email-servers/${serverId}${suffix}`, body: body?.(), serverId };
    };

  const hookBody = () => ({
    name: `matrix-${++counter}`,
    events: { type: 'EVENT_TYPE', items: ['system.email.delivery'] },
    channel: { type: 'HTTP', version: '1.0.0', config: { uri: `http://127.0.0.1:${closedPort}/hook` } },
  });
  async function freshHook(status: 'ACTIVE' | 'INACTIVE' = 'ACTIVE'): Promise<string> {
    const hook = await t.services.eventHooks.create(t.orgId, hookBody() as never);
    if (status === 'INACTIVE') await t.services.eventHooks.setStatus(t.orgId, hook.id, 'INACTIVE');
    return hook.id;
  }
  const hookById =
    (method: string, suffix = '', options: { body?: () => unknown; status?: 'ACTIVE' | 'INACTIVE' } = {}) =>
    async () => {
      const hookId = await freshHook(options.status);
      return { method, path: `/api/v1/eventHooks/${hookId}${suffix}`, body: options.body?.(), hookId };
    };
  const hookNotFound = async (res: ApiResponse, call: Call) => {
    const hookId = call.path.split('/')[4];
    assertOktaError(res, {
      status: 404,
      errorCode: 'E0000007',
      errorSummary: `Not found: Resource not found: ${hookId} (EventHook)`,
    });
  };
  const hookEndpoints: Endpoint[] = [
    {
      name: 'GET /api/v1/eventHooks',
      group: 'eventHooks.read',
      prepare: async () => {
        await freshHook();
        return { method: 'GET', path: '/api/v1/eventHooks' };
      },
      assertSuccess: (res) => {
        assert.equal(res.status, 200, res.text);
        assert.ok(res.body.length > 0 && res.body.every((h: { id: string }) => h.id.startsWith('who')));
      },
      assertOtherOrg: async (res) => {
        assert.equal(res.status, 200, res.text);
        const own = new Set((await t.services.eventHooks.list(t.orgId)).map((h) => h.id));
        assert.ok(
          res.body.every((h: { id: string }) => !own.has(h.id)),
          'no hook of the first org',
        );
      },
    },
    {
      name: 'POST /api/v1/eventHooks',
      group: 'eventHooks.manage',
      prepare: async () => ({ method: 'POST', path: '/api/v1/eventHooks', body: hookBody() }),
      assertSuccess: (res) => {
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.status, 'ACTIVE');
      },
      assertOtherOrg: async (res) => {
        assert.equal(res.status, 200, res.text);
        assert.equal((await t.services.eventHooks.get(otherOrg.id, res.body.id)).orgId, otherOrg.id);
      },
    },
    {
      name: 'GET /api/v1/eventHooks/{id}',
      group: 'eventHooks.read',
      prepare: hookById('GET'),
      assertSuccess: (res) => assert.equal(res.status, 200, res.text),
      assertOtherOrg: hookNotFound,
    },
    {
      name: 'PUT /api/v1/eventHooks/{id}',
      group: 'eventHooks.manage',
      prepare: hookById('PUT', '', { body: hookBody }),
      assertSuccess: (res) => assert.equal(res.status, 200, res.text),
      assertOtherOrg: hookNotFound,
    },
    {
      name: 'DELETE /api/v1/eventHooks/{id}',
      group: 'eventHooks.manage',
      prepare: hookById('DELETE', '', { status: 'INACTIVE' }),
      assertSuccess: (res) => assert.equal(res.status, 204, res.text),
      assertOtherOrg: hookNotFound,
    },
    {
      name: 'POST /api/v1/eventHooks/{id}/lifecycle/activate',
      group: 'eventHooks.manage',
      prepare: hookById('POST', '/lifecycle/activate', { status: 'INACTIVE' }),
      assertSuccess: (res) => assert.equal(res.body.status, 'ACTIVE', res.text),
      assertOtherOrg: hookNotFound,
    },
    {
      name: 'POST /api/v1/eventHooks/{id}/lifecycle/deactivate',
      group: 'eventHooks.manage',
      prepare: hookById('POST', '/lifecycle/deactivate'),
      assertSuccess: (res) => assert.equal(res.body.status, 'INACTIVE', res.text),
      assertOtherOrg: hookNotFound,
    },
    {
      name: 'GET /api/v1/mailroute/eventHooks/{id}/deliveries',
      group: 'eventHooks.read',
      prepare: async () => {
        const hookId = await freshHook();
        return { method: 'GET', path: `/api/v1/mailroute/eventHooks/${hookId}/deliveries` };
      },
      assertSuccess: (res) => assert.deepEqual(res.body, { pending: 0, calls: [] }, res.text),
      assertOtherOrg: async (res, call) => {
        const hookId = call.path.split('/')[5];
        assertOktaError(res, {
          status: 404,
          errorCode: 'E0000007',
          errorSummary: `Not found: Resource not found: ${hookId} (EventHook)`,
        });
      },
    },
    {
      // The receiver's port is closed: reaching the verification proves the call was authorised.
      name: 'POST /api/v1/eventHooks/{id}/lifecycle/verify',
      group: 'eventHooks.manage',
      prepare: hookById('POST', '/lifecycle/verify'),
      assertSuccess: (res) => {
        assert.equal(res.status, 400, res.text);
        assert.match(res.body.errorCauses[0].errorSummary, /^verification: Verification failed/);
      },
      assertOtherOrg: hookNotFound,
    },
  ];

  const endpoints: Endpoint[] = [
    ...hookEndpoints,
    {
      name: 'GET /api/v1/email-servers',
      group: 'emailServers.read',
      prepare: async () => ({ method: 'GET', path: '/api/v1/email-servers' }),
      assertSuccess: (res) => {
        assert.equal(res.status, 200, res.text);
        assert.ok(Array.isArray(res.body['email-servers']));
      },
    },
    {
      name: 'POST /api/v1/email-servers',
      group: 'emailServers.manage',
      prepare: async () => ({ method: 'POST', path: '/api/v1/email-servers', body: serverBody() }),
      assertSuccess: (res) => {
        assert.equal(res.status, 201, res.text);
        assert.match(res.body.id, /^ces/);
      },
    },
    {
      name: 'GET /api/v1/email-servers/{id}',
      group: 'emailServers.read',
      prepare: byId('GET'),
      assertSuccess: (res, call) => {
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body['email-servers'][0].id, call.serverId);
      },
    },
    {
      name: 'GET /api/v1/mailroute/email-servers/{id}/health',
      group: 'emailServers.read',
      prepare: async () => {
        const serverId = await freshServer();
        return { method: 'GET', path: `/api/v1/mailroute/email-servers/${serverId}/health`, serverId };
      },
      assertSuccess: (res, call) => {
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.serverId, call.serverId);
        assert.equal(res.body.state, 'unknown');
      },
    },
    {
      name: 'GET /api/v1/mailroute/email-servers-health',
      group: 'emailServers.read',
      prepare: async () => {
        await freshServer();
        return { method: 'GET', path: '/api/v1/mailroute/email-servers-health' };
      },
      assertSuccess: (res) => {
        assert.equal(res.status, 200, res.text);
        assert.ok(res.body.length > 0, res.text);
      },
      assertOtherOrg: async (res) => {
        assert.equal(res.status, 200, res.text);
        const firstOrgIds = new Set((await t.services.emailServers.list(t.orgId)).map((s) => s.id));
        assert.ok(
          res.body.every((h: { serverId: string }) => !firstOrgIds.has(h.serverId)),
          'no server of the first org',
        );
      },
    },
    {
      name: 'PATCH /api/v1/email-servers/{id}',
      group: 'emailServers.manage',
      prepare: byId('PATCH', '', () => ({ alias: 'patched' })),
      assertSuccess: (res, call) => {
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.id, call.serverId);
        assert.equal(res.body.alias, 'patched');
      },
    },
    {
      name: 'DELETE /api/v1/email-servers/{id}',
      group: 'emailServers.manage',
      prepare: byId('DELETE'),
      assertSuccess: (res) => {
        assert.equal(res.status, 204, res.text);
        assert.equal(res.text, '');
      },
    },
    {
      name: 'POST /api/v1/email-servers/{id}/test',
      group: 'emailServers.manage',
      prepare: byId('POST', '/test', () => ({ fromAddress: 'from@example.com', toAddress: 'to@example.com' })),
      // Past authentication the test really connects: to a closed port, so the SMTP verdict is E0000223.
      assertSuccess: (res) => assertOktaError(res, { status: 400, errorCode: 'E0000223' }),
    },
    {
      name: 'POST /api/v1/mailroute/email-servers/{id}/check',
      group: 'emailServers.manage',
      prepare: async () => {
        const serverId = await freshServer();
        return { method: 'POST', path: `/api/v1/mailroute/email-servers/${serverId}/check`, body: {}, serverId };
      },
      // Past authentication the check really connects: to a closed port, so the report fails at connect.
      assertSuccess: (res) => {
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.failure.stage, 'connect');
      },
    },
    {
      name: 'GET /api/v1/mailroute/audit-events',
      group: 'auditEvents.read',
      prepare: async () => ({ method: 'GET', path: '/api/v1/mailroute/audit-events?limit=1000' }),
      assertSuccess: (res) => {
        assert.equal(res.status, 200, res.text);
        assert.ok(Array.isArray(res.body));
        assert.ok(res.body.length > 0);
      },
    },
    {
      name: 'GET /api/v1/logs',
      group: 'auditEvents.read',
      prepare: async () => ({ method: 'GET', path: '/api/v1/logs?limit=1000' }),
      assertSuccess: (res) => {
        assert.equal(res.status, 200, res.text);
        assert.ok(Array.isArray(res.body));
        assert.ok(res.body.length > 0);
      },
    },
    {
      name: 'POST /api/v1/mailroute/notifications',
      group: 'notifications.send',
      prepare: async () => ({ method: 'POST', path: NOTIFICATIONS, body: notificationBody() }),
      assertSuccess: (res) => {
        assert.equal(res.status, 202, res.text);
        assert.match(res.body.id, /^ntf/);
      },
      assertOtherOrg: async (res) => {
        assert.equal(res.status, 202, res.text);
        const { message } = await t.services.notifications.get(otherOrg.id, res.body.id);
        assert.equal(message.orgId, otherOrg.id, 'queued in the token’s org');
      },
    },
    {
      name: 'GET /api/v1/mailroute/notifications',
      group: 'notifications.read',
      prepare: async () => {
        await freshNotification();
        return { method: 'GET', path: `${NOTIFICATIONS}?limit=200` };
      },
      assertSuccess: (res) => {
        assert.equal(res.status, 200, res.text);
        assert.ok(Array.isArray(res.body) && res.body.length > 0, res.text);
      },
      assertOtherOrg: async (res) => {
        assert.equal(res.status, 200, res.text);
        const firstOrgIds = new Set((await t.services.notifications.list(t.orgId, {}, 1000)).map((m) => m.id));
        assert.ok(
          res.body.every((m: { id: string }) => !firstOrgIds.has(m.id)),
          'no notification of the first org',
        );
      },
    },
    {
      name: 'GET /api/v1/mailroute/notifications/{id}',
      group: 'notifications.read',
      prepare: async () => ({ method: 'GET', path: `${NOTIFICATIONS}/${await freshNotification()}` }),
      assertSuccess: (res, call) => {
        assert.equal(res.status, 200, res.text);
        assert.equal(`${NOTIFICATIONS}/${res.body.id}`, call.path);
      },
      assertOtherOrg: async (res) => assertOktaError(res, { status: 404, errorCode: 'E0000007' }),
    },
    {
      name: 'POST /api/v1/mailroute/notifications/{id}/resend',
      group: 'notifications.send',
      prepare: async () => ({ method: 'POST', path: `${NOTIFICATIONS}/${await freshNotification()}/resend` }),
      // Past authentication the resend is really tried: a queued message cannot be resent.
      assertSuccess: (res) =>
        assertOktaError(res, {
          status: 400,
          errorCode: 'E0000001',
          causes: ['notificationId: Only failed notifications can be resent; this one is queued'],
        }),
      assertOtherOrg: async (res) => assertOktaError(res, { status: 404, errorCode: 'E0000007' }),
    },
    {
      name: 'GET /api/v1/mailroute/delivery-events',
      group: 'notifications.read',
      prepare: async () => ({ method: 'GET', path: '/api/v1/mailroute/delivery-events' }),
      assertSuccess: (res) => {
        assert.equal(res.status, 200, res.text);
        assert.ok(Array.isArray(res.body), res.text);
      },
      assertOtherOrg: async (res) => {
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.body, []);
      },
    },
    {
      name: 'GET /api/v1/mailroute/notification-stats/hourly',
      group: 'notifications.read',
      prepare: async () => ({ method: 'GET', path: '/api/v1/mailroute/notification-stats/hourly' }),
      assertSuccess: (res) => {
        assert.equal(res.status, 200, res.text);
        assert.ok(Array.isArray(res.body.hours), res.text);
      },
      assertOtherOrg: async (res) => {
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.body, { hours: [] });
      },
    },
    {
      name: 'GET /api/v1/mailroute/notification-stats/servers/{id}',
      group: 'notifications.read',
      prepare: async () => ({ method: 'GET', path: '/api/v1/mailroute/notification-stats/servers/default' }),
      assertSuccess: (res) => {
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.server, 'default');
      },
      assertOtherOrg: async (res) => {
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.body, { server: 'default', lastSuccess: null, lastError: null });
      },
    },
    {
      name: 'GET /api/v1/mailroute/me',
      group: 'org.read',
      prepare: async () => ({ method: 'GET', path: '/api/v1/mailroute/me' }),
      assertSuccess: (res) => {
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.org.id, t.orgId);
      },
      assertOtherOrg: async (res) => {
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.org.id, otherOrg.id);
      },
    },
    {
      name: 'GET /api/v1/mailroute/org/sender',
      group: 'org.read',
      prepare: async () => ({ method: 'GET', path: SENDER }),
      assertSuccess: (res) => assert.equal(res.status, 200, res.text),
      assertOtherOrg: async (res) => assert.equal(res.status, 200, res.text),
    },
    {
      name: 'PUT /api/v1/mailroute/org/sender',
      group: 'org.manage',
      prepare: async () => ({ method: 'PUT', path: SENDER, body: { name: 'Matrix', address: 'matrix@example.com' } }),
      assertSuccess: (res) => {
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.sender.address, 'matrix@example.com');
      },
      assertOtherOrg: async (res) => {
        assert.equal(res.status, 200, res.text);
        assert.equal((await t.services.orgSender.get(otherOrg.id)).sender?.address, 'matrix@example.com');
      },
    },
    {
      name: 'DELETE /api/v1/mailroute/org/sender',
      group: 'org.manage',
      prepare: async () => ({ method: 'DELETE', path: SENDER }),
      assertSuccess: (res) => assert.equal(res.status, 204, res.text),
      assertOtherOrg: async (res) => assert.equal(res.status, 204, res.text),
    },
    {
      name: 'GET /api/v1/mailroute/org/health-alerts',
      group: 'org.read',
      prepare: async () => ({ method: 'GET', path: HEALTH_ALERTS }),
      assertSuccess: (res) => {
        assert.equal(res.status, 200, res.text);
        assert.ok(Array.isArray(res.body.healthAlertEmails), res.text);
      },
      assertOtherOrg: async (res) => assert.equal(res.status, 200, res.text),
    },
    {
      name: 'PUT /api/v1/mailroute/org/health-alerts',
      group: 'org.manage',
      prepare: async () => ({
        method: 'PUT',
        path: HEALTH_ALERTS,
        body: { healthAlertEmails: ['matrix@example.com'] },
      }),
      assertSuccess: (res) => {
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.body.healthAlertEmails, ['matrix@example.com']);
      },
      assertOtherOrg: async (res) => {
        assert.equal(res.status, 200, res.text);
        assert.deepEqual((await t.services.orgAlerts.get(otherOrg.id)).healthAlertEmails, ['matrix@example.com']);
      },
    },
  ];

  it('covers every operation of the OpenAPI document', async () => {
    const spec = await request(`${t.url}/openapi.json`);
    const operations = Object.entries(spec.body.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, methods]) =>
        Object.keys(methods).map((method) => `${method.toUpperCase()} ${path.replace(/\{\w+\}/g, '{id}')}`),
    );
    assert.ok(operations.length > 10, spec.text);
    const covered = new Set(endpoints.map((endpoint) => endpoint.name));
    assert.deepEqual(
      operations.filter((operation) => !covered.has(operation)),
      [],
      'operations missing from the matrix',
    );
  });

  const challengeScope = (endpoint: Endpoint) => ROUTE_SCOPES[endpoint.group][0];
  const opens = (scopes: readonly Scope[], endpoint: Endpoint) =>
    ROUTE_SCOPES[endpoint.group].some((scope) => scopes.includes(scope));
  const bearer = (token: () => Promise<string>) => async () => ({ authorization: `Bearer ${await token()}` });
  const now = () => Math.floor(Date.now() / 1000);
  const sswsOf = async (options: { scopes?: string[]; expiresAt?: number; revoke?: boolean }) => {
    const { token, secret } = await t.services.apiTokens.create(t.orgId, 'matrix', options);
    if (options.revoke) await t.services.apiTokens.revoke(token.id);
    return secret;
  };
  const boundToken = () =>
    issuer.sign('default', { aud: AUDIENCE, scp: SCOPES, cid: 'client-dpop', cnf: { jkt: dpop.jkt } });

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
      expect: (e) => (opens([READ], e) ? 'success' : 'forbidden_ssws'),
    },
    {
      name: 'scope-restricted SSWS (notifications send)',
      headers: async () => ({ authorization: `SSWS ${await sswsOf({ scopes: [NOTIFICATIONS_SEND] })}` }),
      expect: (e) => (opens([NOTIFICATIONS_SEND], e) ? 'success' : 'forbidden_ssws'),
    },
    {
      name: 'Bearer read',
      scheme: 'Bearer',
      headers: bearer(() => issuer.sign('default', { aud: AUDIENCE, scp: [READ], cid: 'client-read' })),
      expect: (e) => (opens([READ], e) ? 'success' : 'insufficient_scope'),
    },
    {
      name: 'Bearer manage',
      scheme: 'Bearer',
      headers: bearer(() => issuer.sign('default', { aud: AUDIENCE, scp: [MANAGE], cid: 'client-manage' })),
      expect: (e) => (opens([MANAGE], e) ? 'success' : 'insufficient_scope'),
    },
    {
      name: 'Bearer notifications read',
      scheme: 'Bearer',
      headers: bearer(() =>
        issuer.sign('default', { aud: AUDIENCE, scp: [NOTIFICATIONS_READ], cid: 'client-notifications' }),
      ),
      expect: (e) => (opens([NOTIFICATIONS_READ], e) ? 'success' : 'insufficient_scope'),
    },
    {
      name: 'Bearer with every catalogued scope',
      scheme: 'Bearer',
      headers: bearer(() => issuer.sign('default', { aud: AUDIENCE, scp: SCOPES, cid: 'client-all' })),
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
        issuer.sign('tenants', { aud: AUDIENCE, scp: SCOPES, org: otherOrg.name, cid: 'client-other' }),
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

  function assertRateLimitHeaders(res: ApiResponse, sentAt: number): void {
    assert.equal(res.headers.get('x-rate-limit-limit'), LIMIT);
    assert.match(res.headers.get('x-rate-limit-remaining') ?? '', /^\d+$/);
    // The window is counted from the request's arrival, which a slow answer can leave behind.
    const reset = Number(res.headers.get('x-rate-limit-reset'));
    assert.ok(reset >= sentAt && reset <= now() + 61, `reset ${reset} is epoch seconds within the window`);
  }

  for (const endpoint of endpoints) {
    describe(endpoint.name, () => {
      for (const credential of credentials) {
        const expectation = credential.expect(endpoint);
        it(`${credential.name} → ${expectation}`, async () => {
          const call = await endpoint.prepare();
          const sentAt = now();
          const res = await send(call, await credential.headers(call));
          assert.ok(res.headers.get('x-okta-request-id'));
          assertRateLimitHeaders(res, sentAt);
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
                  challengeScope(endpoint),
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
                  challengeScope(endpoint),
                  expectation,
                  expectation === 'invalid_token' ? 'The access token is invalid.' : 'The DPoP proof is invalid.',
                  call.path,
                ),
              );
              break;
            case 'other_org':
              assert.equal(wwwAuthenticate, null);
              if (endpoint.assertOtherOrg) {
                await endpoint.assertOtherOrg(res, call);
              } else if (call.serverId) {
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
