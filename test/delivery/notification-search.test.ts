import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { assertOktaError } from '../helpers/okta-error.ts';
import { welcome } from './delivery-helpers.ts';

const NOTIFICATIONS = '/api/v1/mailroute/notifications';

describe('notifications: search by recipient, with paging', () => {
  let t: TestApp;

  before(async () => {
    // No worker: the messages stay queued, which is all a search needs.
    t = await startTestApp();
    for (const recipient of [
      'Ada.Lovelace@example.com',
      'ada_b@example.com',
      'adaxb@example.com',
      'grace@example.org',
    ]) {
      const res = await t.api(NOTIFICATIONS, { method: 'POST', body: welcome(recipient) });
      assert.equal(res.status, 202, res.text);
    }
  });
  after(async () => {
    await t?.close();
  });

  const recipients = async (query: string) => {
    const res = await t.api(`${NOTIFICATIONS}?${query}`);
    assert.equal(res.status, 200, res.text);
    return res.body.map((n: { recipient: string }) => n.recipient).sort();
  };

  it('matches part of the address, ignoring case', async () => {
    assert.deepEqual(await recipients('recipient=ADA.love'), ['Ada.Lovelace@example.com']);
    assert.deepEqual(await recipients('recipient=example.org'), ['grace@example.org']);
    assert.deepEqual(await recipients('recipient=nobody'), []);
  });

  it("takes LIKE's wildcards literally", async () => {
    assert.deepEqual(await recipients('recipient=ada_b'), ['ada_b@example.com']);
    assert.deepEqual(await recipients(`recipient=${encodeURIComponent('%')}`), []);
  });

  it('keeps the search in the next-page link', async () => {
    const first = await t.api(`${NOTIFICATIONS}?recipient=ada&limit=2`);
    assert.equal(first.body.length, 2);
    const link = /<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')?.[1];
    assert.ok(link, 'a next link');
    assert.match(link, /recipient=ada/);
    const second = await t.api(link);
    assert.equal(second.body.length, 1);
    const all = [...first.body, ...second.body].map((n: { recipient: string }) => n.recipient).sort();
    assert.deepEqual(all, ['Ada.Lovelace@example.com', 'ada_b@example.com', 'adaxb@example.com']);
  });

  it('refuses a search with spaces or over 254 characters, naming the field', async () => {
    for (const value of ['a b', 'x'.repeat(255), '']) {
      const res = await t.api(`${NOTIFICATIONS}?recipient=${encodeURIComponent(value)}`);
      assertOktaError(res, { status: 400, errorCode: 'E0000001', causeFields: ['recipient'] });
    }
  });
});
