import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';
import {
  createCustomServer,
  type DeliveryTestApp,
  startDeliveryApp,
  waitFor,
  waitForStatus,
  welcome,
} from './delivery-helpers.ts';

const NOTIFICATIONS = '/api/v1/mailroute/notifications';
const HEALTH = '/api/v1/mailroute/notification-stats/servers';

describe("delivery: a server's health counts server failures, not refused recipients", () => {
  let t: DeliveryTestApp;
  let smtp: TestSmtpServer;
  let serverId: string;

  before(async () => {
    smtp = await startSmtpServer({ users: { relay: 'relay-secret' }, rejectRecipients: ['nobody@example.com'] });
    t = await startDeliveryApp();
    serverId = await createCustomServer(t, smtp, TEST_TLS.ca);
  });
  after(async () => {
    await t?.close();
    await smtp?.close();
  });

  const send = async (recipient: string) => {
    const res = await t.api(NOTIFICATIONS, { method: 'POST', body: welcome(recipient) });
    assert.equal(res.status, 202, res.text);
    return res.body.id as string;
  };

  it('a recipient refused with 550 fails its message but leaves the server healthy', async () => {
    const empty = await t.api(`${HEALTH}/${serverId}`);
    assert.equal(empty.status, 200, empty.text);
    assert.deepEqual(empty.body, { server: serverId, lastSuccess: null, lastError: null });

    await waitForStatus(t, await send('ada@example.com'), 'sent');
    const refused = await waitForStatus(t, await send('nobody@example.com'), 'failed');
    assert.equal(refused.lastReplyCode, 550);
    assert.equal(refused.attemptHistory[0].failureScope, 'message');

    const health = await t.api(`${HEALTH}/${serverId}`);
    assert.equal(health.status, 200);
    assert.equal(health.body.lastSuccess.replyCode, 250);
    assert.equal(health.body.lastError, null);

    // The server's health state (no probes run here): deliveries alone make it healthy.
    const state = await waitFor('a healthy state from deliveries', async () => {
      const res = await t.api(`/api/v1/mailroute/email-servers/${serverId}/health`);
      return res.body.state === 'healthy' ? res.body : undefined;
    });
    assert.equal(state.lastFailure, null, 'a refused recipient is not a server failure');
  });

  it('a sign-in failure is the server’s error', async () => {
    const patched = await t.api(`/api/v1/email-servers/${serverId}`, {
      method: 'PATCH',
      body: { password: 'not-the-secret' },
    });
    assert.equal(patched.status, 200, patched.text);
    const failed = await waitForStatus(t, await send('grace@example.com'), 'failed');
    assert.equal(failed.attemptHistory.at(-1).failureScope, 'server');

    const health = await t.api(`${HEALTH}/${serverId}`);
    assert.equal(health.body.lastError.replyCode, 535);
    assert.ok(!health.body.lastError.reply.includes('not-the-secret'));
    assert.notEqual(health.body.lastSuccess, null);

    const state = await waitFor('a failing state from the refused sign-in', async () => {
      const res = await t.api(`/api/v1/mailroute/email-servers/${serverId}/health`);
      return res.body.state === 'failing' ? res.body : undefined;
    });
    assert.equal(state.lastFailure.stage, 'auth');
    assert.match(state.lastFailure.reply, /535/);
    assert.ok(!JSON.stringify(state).includes('not-the-secret'));
    const logged = await t.api(
      `/api/v1/logs?filter=${encodeURIComponent('eventType eq "mailroute.email_server.health.failing"')}&since=2000-01-01T00:00:00Z`,
    );
    assert.equal(logged.body.length, 1, 'one event for the change, not one per failed message');
  });

  it("another org's token sees nothing of this server's health", async () => {
    const other = await t.services.orgs.create('Other org');
    const { secret } = await t.services.apiTokens.create(other.id, 'other');
    const res = await t.api(`${HEALTH}/${serverId}`, { headers: { authorization: `SSWS ${secret}` } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { server: serverId, lastSuccess: null, lastError: null });
  });
});
