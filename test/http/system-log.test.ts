import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import okta from '@okta/okta-sdk-nodejs';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { assertOktaError } from '../helpers/okta-error.ts';

const { Client } = okta;
const PASSWORD = 'SysLog-Secret-7d1c';
const LOGS = '/api/v1/logs';

interface LogEventJson {
  uuid: string;
  published: string;
  eventType: string;
  severity: string;
  displayMessage: string;
  actor: { id: string; type: string; alternateId: string; displayName: string };
  outcome: { result: string; reason: string | null };
  target: Array<{ id: string; type: string }>;
  transaction: { type: string; id: string | null };
  debugContext: { debugData: Record<string, string> };
  request: { ipChain: Array<{ ip: string }> };
}

describe('System Log (GET /api/v1/logs): Okta event types, filters, paging', () => {
  let t: TestApp;
  let serverId: string;
  const requestIds: string[] = [];
  const since = new Date(Date.now() - 60_000).toISOString();

  before(async () => {
    t = await startTestApp();
    const steps: Array<[string, string, unknown]> = [
      [
        'POST',
        '/api/v1/email-servers',
        { alias: 'Logged', host: '192.0.2.10', port: 587, username: 'log-user', password: PASSWORD },
      ],
      ['PATCH', 'SELF', { enabled: true }],
      ['PATCH', 'SELF', { alias: 'Logged 2', port: 465, password: PASSWORD }],
      ['PATCH', 'SELF', { enabled: false }],
      ['DELETE', 'SELF', undefined],
    ];
    for (const [method, path, body] of steps) {
      const res = await t.api(path === 'SELF' ? `/api/v1/email-servers/${serverId}` : path, { method, body });
      assert.ok(res.status < 300, res.text);
      if (method === 'POST') serverId = res.body.id;
      requestIds.push(res.headers.get('x-okta-request-id') ?? '');
    }
  });
  after(() => t?.close());

  it('the official SDK lists the lifecycle events in order, with Okta debugData and no secret; pages follow', async () => {
    const client = new Client({ orgUrl: t.url, token: t.token, cacheMiddleware: null });
    const collection = await client.systemLogApi.listLogEvents({
      since,
      filter: 'eventType sw "system.custom_email_server"',
      limit: 2,
    });
    const events: LogEventJson[] = [];
    await collection.each((event) => {
      events.push(event as unknown as LogEventJson);
      return events.length < 50;
    });
    assert.deepEqual(
      events.map((e) => e.eventType.replace('system.custom_email_server.lifecycle.', '')),
      ['create', 'update', 'activate', 'update', 'update', 'deactivate', 'delete'],
    );
    assert.deepEqual(
      events.map((e) => e.transaction.id),
      [0, 1, 1, 2, 3, 3, 4].map((i) => requestIds[i]),
    );
    for (const event of events) {
      assert.equal(event.severity, 'INFO');
      assert.equal(event.outcome.result, 'SUCCESS');
      assert.deepEqual(
        event.target.map((x) => [x.id, x.type]),
        [[serverId, 'EmailServer']],
      );
      assert.equal(event.transaction.type, 'WEB');
      assert.equal(event.request.ipChain[0]?.ip, '127.0.0.1');
      assert.ok(event.displayMessage.length > 0);
      assert.equal(event.debugContext.debugData.custom_email_server_id, serverId);
    }
    assert.deepEqual(events[0].debugContext.debugData, {
      custom_email_server_id: serverId,
      custom_email_server_host: '192.0.2.10',
      custom_email_server_port: '587',
      custom_email_server_protocol: 'STARTTLS',
      custom_email_server_username: 'log-user',
      custom_email_server_auth_type: 'BASIC_SMTP_AUTH',
    });
    assert.equal(events[3].debugContext.debugData.custom_email_server_protocol, 'TLS');
    assert.equal(events[3].debugContext.debugData.changed_settings, 'alias,port,password');
    assert.ok(!JSON.stringify(events).includes(PASSWORD), 'no secret');
  });

  it('pages by Link headers (self and next), ascending and descending, and polls ascending without until', async () => {
    const walk = async (first: string) => {
      const seen: string[] = [];
      let next: string | undefined = first;
      for (let page = 0; next && page < 20; page++) {
        const res = await t.api(next.replace(t.url, ''));
        assert.equal(res.status, 200, res.text);
        const link = res.headers.get('link') ?? '';
        assert.match(link, /<[^>]+>; rel="self"/);
        if (res.body.length === 0) break;
        seen.push(...res.body.map((e: LogEventJson) => e.eventType.split('.').at(-1)));
        next = /<([^>]+)>; rel="next"/.exec(link)?.[1];
      }
      return seen;
    };
    const filter = encodeURIComponent('target.id eq "' + serverId + '"');
    assert.deepEqual(await walk(`${LOGS}?since=${since}&limit=3&filter=${filter}`), [
      'create',
      'update',
      'activate',
      'update',
      'update',
      'deactivate',
      'delete',
    ]);
    assert.deepEqual(await walk(`${LOGS}?since=${since}&limit=3&sortOrder=DESCENDING&filter=${filter}`), [
      'delete',
      'deactivate',
      'update',
      'update',
      'activate',
      'update',
      'create',
    ]);
    // Polling: the last page still names a next one, which later holds only newer events.
    const lifecycle = encodeURIComponent('eventType sw "system.custom_email_server"');
    const last = await t.api(`${LOGS}?since=${since}&limit=1000&filter=${lifecycle}`);
    const poll = /<([^>]+)>; rel="next"/.exec(last.headers.get('link') ?? '')?.[1];
    assert.ok(poll, 'an ascending request without until always has a next link');
    const empty = await t.api(poll.replace(t.url, ''));
    assert.deepEqual(empty.body, []);
    assert.match(empty.headers.get('link') ?? '', /rel="next"/);
    const later = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: { alias: 'Later', host: '192.0.2.11', port: 587, username: 'u', password: PASSWORD },
    });
    const polled = await t.api(poll.replace(t.url, ''));
    assert.deepEqual(
      polled.body.map((e: LogEventJson) => [e.eventType, e.target[0].id]),
      [['system.custom_email_server.lifecycle.create', later.body.id]],
    );
    const bounded = await t.api(`${LOGS}?since=${since}&until=${new Date().toISOString()}&limit=1000`);
    assert.doesNotMatch(bounded.headers.get('link') ?? '', /rel="next"/);
  });

  const FILTERS: Array<[string, string[]]> = [
    ['eventType eq "system.custom_email_server.lifecycle.create"', ['create']],
    [
      'eventType ne "system.custom_email_server.lifecycle.update" and target.id eq "SERVER"',
      ['create', 'activate', 'deactivate', 'delete'],
    ],
    ['eventType ew "activate" or eventType ew "deactivate"', ['activate', 'deactivate']],
    ['eventType co "delete"', ['delete']],
    ['debugContext.debugData.changed_settings pr', ['update', 'update', 'update']],
    [
      'debugContext.debugData.custom_email_server_port eq "465" and eventType sw "system.custom_email_server.lifecycle.d"',
      ['deactivate', 'delete'],
    ],
    [
      'not (eventType sw "system.custom_email_server.lifecycle.update") and target.id eq "SERVER"',
      ['create', 'activate', 'deactivate', 'delete'],
    ],
    // and binds tighter than or; parentheses change it
    ['eventType ew "create" or eventType ew "delete" and outcome.result eq "FAILURE"', ['create']],
    ['(eventType ew "create" or eventType ew "delete") and outcome.result eq "SUCCESS"', ['create', 'delete']],
    ['outcome.result eq "SUCCESS" and severity eq "INFO" and actor.id pr and eventType ew ".delete"', ['delete']],
    ['outcome.reason pr', []],
    [
      'published gt "2000-01-01T00:00:00Z" and published le "2999-01-01T00:00:00Z" and eventType ew "create"',
      ['create'],
    ],
    ['published lt "2000-01-01T00:00:00Z"', []],
    ['debugContext.debugData.custom_email_server_username eq "say \\"hi\\""', []],
    ['debugContext.debugData.custom_email_server_username eq "log-user" and eventType ew "create"', ['create']],
  ];
  for (const [expression, expected] of FILTERS) {
    it(`filter ${expression}`, async () => {
      const filter = expression.replaceAll('SERVER', serverId);
      const res = await t.api(`${LOGS}?since=${since}&filter=${encodeURIComponent(filter)}`);
      assert.equal(res.status, 200, res.text);
      const own = res.body.filter((e: LogEventJson) => e.target.some((x) => x.id === serverId));
      assert.deepEqual(
        own.map((e: LogEventJson) => e.eventType.split('.').at(-1)),
        expected,
      );
    });
  }

  for (const bad of [
    'eventType eq',
    'eventType zz "x"',
    'password eq "x"',
    'debugContext.debugData.a-b eq "x"',
    '(eventType eq "x"',
    'eventType eq "x" and',
    'published gt "yesterday"',
    'eventType eq null',
    'emails[type eq "work"]',
  ]) {
    it(`bad filter ${bad} → 400 naming filter`, async () => {
      const res = await t.api(`${LOGS}?filter=${encodeURIComponent(bad)}`);
      assertOktaError(res, { status: 400, errorCode: 'E0000001' });
      assert.ok(
        res.body.errorCauses.some((c: { errorSummary: string }) => c.errorSummary.startsWith('filter')),
        res.text,
      );
    });
  }

  it('q: every keyword must match; bad limit, sortOrder and since are refused', async () => {
    const q = await t.api(`${LOGS}?since=${since}&q=${encodeURIComponent(`${serverId} deactivate`)}`);
    assert.deepEqual(
      q.body.map((e: LogEventJson) => e.eventType),
      ['system.custom_email_server.lifecycle.deactivate'],
    );
    for (const query of ['limit=0', 'limit=1001', 'sortOrder=UP', 'since=yesterday']) {
      assertOktaError(await t.api(`${LOGS}?${query}`), { status: 400, errorCode: 'E0000001' });
    }
  });
});
