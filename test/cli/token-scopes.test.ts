import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ROUTE_GROUPS, type RouteGroup, SCOPE_CATALOGUE, SCOPES, type Scope } from '../../src/schemas/scopes.ts';
import type { ApiResponse } from '../helpers/app.ts';
import { type ServerProcess, startServerProcess } from '../helpers/server-process.ts';
import { runCli, tempDataDir } from './run-cli.ts';

interface Probe {
  method: string;
  path: string;
  body?: unknown;
  assertAccepted(res: ApiResponse): void;
}

// Typed by route group, so a new group cannot be left without a probe.
const PROBES: Record<RouteGroup, () => Probe> = {
  'emailServers.read': () => ({
    method: 'GET',
    path: '/api/v1/email-servers',
    assertAccepted: (res) => assert.equal(res.status, 200, res.text),
  }),
  'emailServers.manage': () => ({
    method: 'POST',
    path: '/api/v1/email-servers',
    body: { alias: `probe-${Math.random()}`, host: 'smtp.example.com', port: 587, username: 'u', password: 'p' },
    assertAccepted: (res) => assert.equal(res.status, 201, res.text),
  }),
  'auditEvents.read': () => ({
    method: 'GET',
    path: '/api/v1/mailroute/audit-events',
    assertAccepted: (res) => assert.equal(res.status, 200, res.text),
  }),
  'notifications.read': () => ({
    method: 'GET',
    path: '/api/v1/mailroute/notifications',
    assertAccepted: (res) => assert.equal(res.status, 200, res.text),
  }),
  'notifications.send': () => ({
    method: 'POST',
    path: '/api/v1/mailroute/notifications',
    body: {
      template: 'welcome',
      recipient: 'ada@example.com',
      variables: { firstName: 'Ada', orgName: 'Example', loginUrl: 'https://example.com/login' },
    },
    assertAccepted: (res) => assert.equal(res.status, 202, res.text),
  }),
  'eventHooks.read': () => ({
    method: 'GET',
    path: '/api/v1/eventHooks',
    assertAccepted: (res) => assert.equal(res.status, 200, res.text),
  }),
  // Past authorisation, the body is checked: a refused event type proves the route was reached.
  'eventHooks.manage': () => ({
    method: 'POST',
    path: '/api/v1/eventHooks',
    body: {
      name: 'probe',
      events: { type: 'EVENT_TYPE', items: ['user.session.start'] },
      channel: { type: 'HTTP', version: '1.0.0', config: { uri: 'https://192.0.2.1/hook' } },
    },
    assertAccepted: (res) => assert.match(res.text, /events\.items\[0\]/),
  }),
  'org.read': () => ({
    method: 'GET',
    path: '/api/v1/mailroute/me',
    assertAccepted: (res) => assert.equal(res.status, 200, res.text),
  }),
  'metrics.read': () => ({
    method: 'GET',
    path: '/metrics',
    assertAccepted: (res) => assert.match(res.text, /^mailroute_notifications\{status="queued"\} \d+$/m),
  }),
  'org.manage': () => ({
    method: 'PUT',
    path: '/api/v1/mailroute/org/sender',
    body: { name: 'Probe', address: 'probe@example.com' },
    assertAccepted: (res) => assert.equal(res.status, 200, res.text),
  }),
};

describe('CLI: a token for each catalogued scope opens exactly the routes of that scope', () => {
  let dataDir: string;
  let server: ServerProcess;
  const secrets = new Map<Scope, string>();

  before(async () => {
    dataDir = tempDataDir();
    const env = { MAILROUTE_DATA_DIR: dataDir };
    const org = await runCli(['orgs', 'create', 'Scopes'], env);
    assert.equal(org.code, 0, org.stderr);
    // One at a time: the CLI starts a whole runtime, and the machine may be busy.
    for (const scope of SCOPES) {
      const res = await runCli(['tokens', 'create', '--name', scope, '--scopes', scope], env);
      assert.equal(res.code, 0, `tokens create --scopes ${scope}: ${res.stderr}`);
      assert.match(res.stdout, new RegExp(`Scopes: ${scope.replaceAll('.', '\\.')}\\n`));
      const secret = /^ {2}(00[A-Za-z0-9_-]{40})$/m.exec(res.stdout)?.[1];
      assert.ok(secret, res.stdout);
      secrets.set(scope, secret);
    }
    server = await startServerProcess({ MAILROUTE_DATA_DIR: dataDir, MAILROUTE_DELIVERY_WORKERS: 'off' });
  });
  after(async () => {
    await server?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  for (const scope of SCOPES) {
    it(`--scopes ${scope}`, async () => {
      const secret = secrets.get(scope);
      assert.ok(secret, 'the token was not created');
      const opens: readonly RouteGroup[] = SCOPE_CATALOGUE[scope].opens;
      assert.ok(opens.length > 0, `${scope} opens no route group`);
      for (const group of ROUTE_GROUPS) {
        const probe = PROBES[group]();
        const res = await server.api(probe.path, secret, { method: probe.method, body: probe.body });
        if (opens.includes(group)) {
          probe.assertAccepted(res);
        } else {
          assert.equal(res.status, 403, `${scope} must not open ${group}: ${res.text}`);
          assert.equal(res.body.errorCode, 'E0000006');
        }
      }
    });
  }
});
