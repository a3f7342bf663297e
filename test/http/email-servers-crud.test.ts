import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { REFERENCE_SERVER, startTestApp, type TestApp } from '../helpers/app.ts';

describe('email servers: CRUD over HTTP', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('answers the reference request sample with 201 and the reference fields, without the password', async () => {
    const res = await t.api('/api/v1/email-servers', { method: 'POST', body: REFERENCE_SERVER });
    assert.equal(res.status, 201);
    assert.deepEqual(Object.keys(res.body), ['alias', 'host', 'port', 'id', 'username', 'enabled']);
    assert.match(res.body.id, /^ces[A-Za-z0-9]{17}$/);
    const { password: _, ...expected } = REFERENCE_SERVER;
    assert.deepEqual({ ...res.body, id: undefined }, { ...expected, id: undefined });
    assert.ok(!res.text.includes('password'));
    assert.ok(res.headers.get('x-okta-request-id'));
  });

  it('lists and gets in the documented shape by default', async () => {
    const list = await t.api('/api/v1/email-servers');
    assert.equal(list.status, 200);
    assert.equal(list.body['email-servers'].length, 1);
    const id = list.body['email-servers'][0].id;
    const one = await t.api(`/api/v1/email-servers/${id}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, { 'email-servers': [list.body['email-servers'][0]] });
  });

  it('patches only the fields sent and deletes with 204 and no body', async () => {
    const [server] = (await t.api('/api/v1/email-servers')).body['email-servers'];
    const patched = await t.api(`/api/v1/email-servers/${server.id}`, { method: 'PATCH', body: { alias: 'Renamed' } });
    assert.equal(patched.status, 200);
    assert.deepEqual(patched.body, { ...server, alias: 'Renamed' });
    const deleted = await t.api(`/api/v1/email-servers/${server.id}`, { method: 'DELETE' });
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, '');
    const gone = await t.api(`/api/v1/email-servers/${server.id}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.errorCode, 'E0000007');
    assert.equal(gone.body.errorSummary, `Not found: Resource not found: ${server.id} (EmailServer)`);
  });
});
