import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { assertOktaError } from '../helpers/okta-error.ts';

const VALID = {
  alias: 'Limited',
  host: 'smtp.example.com',
  port: 587,
  username: 'mailer',
  password: 'limits-pw-1',
};

describe('email servers: the sendingLimits extension', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  const post = (body: unknown) => t.api('/api/v1/email-servers', { method: 'POST', body });
  const patch = (id: string, body: unknown) => t.api(`/api/v1/email-servers/${id}`, { method: 'PATCH', body });
  // This client gets the documented shape: the server wrapped in an `email-servers` array.
  const get = async (id: string) => (await t.api(`/api/v1/email-servers/${id}`)).body['email-servers'][0];

  const badCases: Array<[string, unknown, string[]]> = [
    [
      'messagesPerMinute 0',
      { messagesPerMinute: 0 },
      ['sendingLimits.messagesPerMinute: The field must be between 1 and 100000'],
    ],
    [
      'maxConnections 101',
      { maxConnections: 101 },
      ['sendingLimits.maxConnections: The field must be between 1 and 100'],
    ],
    [
      'a fractional messagesPerDay',
      { messagesPerDay: 1.5 },
      ['sendingLimits.messagesPerDay: The field must be an integer'],
    ],
    [
      'a string messagesPerMinute',
      { messagesPerMinute: '30' },
      ['sendingLimits.messagesPerMinute: The field must be an integer'],
    ],
    ['a misspelt limit', { messagesPerMinit: 30 }, ['sendingLimits: The field has no property messagesPerMinit']],
    ['not an object', 30, ['sendingLimits: The field must be an object']],
  ];

  for (const [name, sendingLimits, causes] of badCases) {
    it(`POST refuses ${name} with E0000001 naming the field`, async () => {
      assertOktaError(await post({ ...VALID, sendingLimits }), { status: 400, errorCode: 'E0000001', causes });
    });
    it(`PATCH refuses ${name} with E0000001 naming the field`, async () => {
      const created = await post({ ...VALID, alias: `patch ${name}` });
      assert.equal(created.status, 201, created.text);
      assertOktaError(await patch(created.body.id, { sendingLimits }), { status: 400, errorCode: 'E0000001', causes });
      assert.equal('sendingLimits' in (await get(created.body.id)), false);
    });
  }

  it('is returned only when set; PATCH sets, changes and clears it (null or {})', async () => {
    const plain = await post({ ...VALID, alias: 'plain' });
    assert.equal(plain.status, 201, plain.text);
    assert.equal('sendingLimits' in plain.body, false);

    const limits = { maxConnections: 3, messagesPerMinute: 30, messagesPerDay: 10_000 };
    const created = await post({ ...VALID, alias: 'limited', sendingLimits: limits });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body.sendingLimits, limits);
    const id = created.body.id;
    assert.deepEqual((await get(id)).sendingLimits, limits);

    const changed = await patch(id, { sendingLimits: { messagesPerMinute: 10 } });
    assert.equal(changed.status, 200, changed.text);
    assert.deepEqual(changed.body.sendingLimits, { messagesPerMinute: 10 });

    const untouched = await patch(id, { alias: 'renamed' });
    assert.deepEqual(untouched.body.sendingLimits, { messagesPerMinute: 10 });

    const cleared = await patch(id, { sendingLimits: null });
    assert.equal(cleared.status, 200, cleared.text);
    assert.equal('sendingLimits' in cleared.body, false);
    assert.equal('sendingLimits' in (await get(id)), false);

    await patch(id, { sendingLimits: { maxConnections: 2 } });
    const emptied = await patch(id, { sendingLimits: {} });
    assert.equal('sendingLimits' in emptied.body, false);

    const empty = await post({ ...VALID, alias: 'empty limits', sendingLimits: {} });
    assert.equal(empty.status, 201, empty.text);
    assert.equal('sendingLimits' in empty.body, false);
  });

  it('is documented in OpenAPI as an extension', async () => {
    const spec = (await t.api('/openapi.json')).body;
    const text = JSON.stringify(spec);
    assert.match(text, /"sendingLimits":\{[\s\S]*?Extension\. Limits mailroute keeps/);
  });
});
