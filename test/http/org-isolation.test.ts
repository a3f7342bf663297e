import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ApiResponse, request, startTestApp, type TestApp } from '../helpers/app.ts';
import { assertOktaError } from '../helpers/okta-error.ts';

const SERVER = {
  alias: 'Org A server',
  enabled: true,
  host: 'smtp.example.com',
  port: 587,
  username: 'a-user',
  password: 'org-a-pw',
};

describe('org isolation: a token never sees another org’s servers', () => {
  let t: TestApp;
  let otherToken: string;
  let serverId: string;
  before(async () => {
    t = await startTestApp({ MAILROUTE_MAX_SERVERS_PER_ORG: '2' });
    const otherOrg = t.ids.org();
    await t.store.orgs.create({ id: otherOrg, name: 'second org', createdAt: Date.now() });
    otherToken = (await t.services.apiTokens.create(otherOrg, 'second org admin')).secret;
    const created = await t.api('/api/v1/email-servers', { method: 'POST', body: SERVER });
    assert.equal(created.status, 201, created.text);
    serverId = created.body.id;
  });
  after(() => t.close());

  const asOther = (pathname: string, init: { method?: string; body?: unknown } = {}): Promise<ApiResponse> =>
    request(`${t.url}${pathname}`, { ...init, headers: { authorization: `SSWS ${otherToken}` } });

  it('the other org lists nothing', async () => {
    const res = await asOther('/api/v1/email-servers');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { 'email-servers': [] });
  });

  it('get, PATCH and DELETE of the first org’s server answer 404 E0000007, as for an id that does not exist', async () => {
    const summary = `Not found: Resource not found: ${serverId} (EmailServer)`;
    assertOktaError(await asOther(`/api/v1/email-servers/${serverId}`), {
      status: 404,
      errorCode: 'E0000007',
      errorSummary: summary,
      causes: [],
    });
    assertOktaError(
      await asOther(`/api/v1/email-servers/${serverId}`, {
        method: 'PATCH',
        body: { alias: 'hijacked', enabled: false },
      }),
      {
        status: 404,
        errorCode: 'E0000007',
        errorSummary: summary,
      },
    );
    assertOktaError(await asOther(`/api/v1/email-servers/${serverId}`, { method: 'DELETE' }), {
      status: 404,
      errorCode: 'E0000007',
      errorSummary: summary,
    });
  });

  it('the first org’s server is untouched by those attempts', async () => {
    const res = await t.api(`/api/v1/email-servers/${serverId}`);
    assert.equal(res.status, 200);
    const { password: _, ...visible } = SERVER;
    assert.deepEqual(res.body, { 'email-servers': [{ ...visible, id: serverId }] });
  });

  it('the one-enabled rule and the enrolment limit count per org', async () => {
    const enabled = await asOther('/api/v1/email-servers', {
      method: 'POST',
      body: { ...SERVER, alias: 'Org B enabled' },
    });
    assert.equal(enabled.status, 201, enabled.text);
    assert.equal(enabled.body.enabled, true);
    const second = await asOther('/api/v1/email-servers', {
      method: 'POST',
      body: { ...SERVER, alias: 'Org B second', enabled: false },
    });
    assert.equal(second.status, 201, second.text);
    assertOktaError(await asOther('/api/v1/email-servers', { method: 'POST', body: { ...SERVER, enabled: false } }), {
      status: 400,
      errorCode: 'E0000225',
    });
    // Org A has one server of its two and can still add one.
    const fromA = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: { ...SERVER, enabled: false, alias: 'Org A second' },
    });
    assert.equal(fromA.status, 201, fromA.text);

    const listA = (await t.api('/api/v1/email-servers')).body['email-servers'].map((s: { alias: string }) => s.alias);
    const listB = (await asOther('/api/v1/email-servers')).body['email-servers'].map((s: { alias: string }) => s.alias);
    assert.deepEqual(listA, ['Org A server', 'Org A second']);
    assert.deepEqual(listB, ['Org B enabled', 'Org B second']);
  });
});
