import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  createCustomServer,
  type DeliveryTestApp,
  startDeliveryApp,
  waitFor,
  waitForStatus,
  welcome,
} from '../delivery/delivery-helpers.ts';
import { type HookReceiver, startHookReceiver } from '../helpers/hook-receiver.ts';
import { describeUnless } from '../helpers/skip.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { chromiumMissing, launchChromium, screenshot, watchForProblems } from './chromium.ts';

const NOTIFICATIONS = '/api/v1/mailroute/notifications';
const UPDATE = 'system.custom_email_server.lifecycle.update';
const DELIVERY = 'system.email.delivery';
/** Messages beyond the two named ones: with their submit events, more than one page of 25 events. */
const BULK = 12;

async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/admin`);
  await page.evaluate(() => sessionStorage.clear());
  await page.reload();
  await page.getByLabel('API token').fill(token);
  await page.getByLabel('API token').press('Enter');
  await page.getByRole('heading', { name: 'Email servers' }).waitFor();
}

describeUnless(chromiumMissing, 'admin page: System Log and event hooks in Chromium', () => {
  let t: DeliveryTestApp;
  let smtp: TestSmtpServer;
  let receiver: HookReceiver;
  let dispatcher: ReturnType<DeliveryTestApp['delivery']['createHookDispatcher']>;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let serverId: string;

  before(async () => {
    smtp = await startSmtpServer({ users: { relay: 'relay-secret' }, rejectRecipients: ['bounce@example.com'] });
    receiver = await startHookReceiver();
    t = await startDeliveryApp({
      MAILROUTE_OUTBOUND_ALLOW: '127.0.0.1',
      MAILROUTE_EVENT_HOOK_POLL_MS: '50',
      MAILROUTE_EVENT_HOOK_RETRY_BASE_MS: '50',
      MAILROUTE_EVENT_HOOK_RETRY_MAX_MS: '200',
    });
    dispatcher = t.delivery.createHookDispatcher(t.app.log);
    dispatcher.start();
    serverId = await createCustomServer(t, smtp, TEST_TLS.ca, { alias: 'Primary relay' });
    const renamed = await t.api(`/api/v1/email-servers/${serverId}`, {
      method: 'PATCH',
      body: { alias: 'Main relay' },
    });
    assert.equal(renamed.status, 200, renamed.text);
    const delivered = await t.api(NOTIFICATIONS, { method: 'POST', body: welcome('ada@example.com') });
    const bounced = await t.api(NOTIFICATIONS, { method: 'POST', body: welcome('bounce@example.com') });
    assert.equal(bounced.status, 202, bounced.text);
    for (let n = 0; n < BULK; n++) {
      const res = await t.api(NOTIFICATIONS, { method: 'POST', body: welcome(`bulk-${n}@example.com`) });
      assert.equal(res.status, 202, res.text);
    }
    await waitForStatus(t, delivered.body.id, 'sent');
    await waitForStatus(t, bounced.body.id, 'failed');
    await waitFor('every message delivered or failed', async () => {
      const queued = await t.api(`${NOTIFICATIONS}?status=queued&limit=1`);
      const sending = await t.api(`${NOTIFICATIONS}?status=sending&limit=1`);
      return queued.body.length === 0 && sending.body.length === 0;
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.setDefaultTimeout(10_000);
    problems = watchForProblems(page, t.url);
    await signIn(page, t.url, t.token);
  });

  after(async () => {
    await browser?.close();
    await dispatcher?.stop();
    await t?.close();
    await receiver?.close();
    await smtp?.close();
  });

  const rows = () => page.locator('#log-list tbody tr[data-event-type]');
  const typesShown = () => rows().evaluateAll((all) => all.map((row) => row.getAttribute('data-event-type')));
  const resultsShown = () => rows().evaluateAll((all) => all.map((row) => row.getAttribute('data-result')));

  it('lists the System Log newest first, with the lifecycle and delivery events, and pages with next links', async () => {
    await page.getByRole('link', { name: 'System Log' }).click();
    await page.getByRole('heading', { name: 'System Log' }).waitFor();
    await rows().nth(24).waitFor();
    assert.equal(await rows().count(), 25);
    const older = page.getByRole('button', { name: 'Older' });
    assert.equal(await page.getByRole('button', { name: 'Newer' }).isDisabled(), true);
    await older.click();
    await page.locator('#log-page', { hasText: 'Page 2' }).waitFor();
    // The oldest events: the app's token, then the server's creation, enabling and renaming.
    const CREATE = 'system.custom_email_server.lifecycle.create';
    let lastTypes: (string | null)[] = [];
    await waitFor(
      'page 2 ending with the oldest events',
      async () => {
        lastTypes = await typesShown();
        return lastTypes.at(-1) === 'mailroute.api_token.create';
      },
      5000,
    ).catch(() => assert.fail(`page 2: ${lastTypes.join(', ')}`));
    assert.ok(
      lastTypes.indexOf(UPDATE) >= 0 && lastTypes.indexOf(UPDATE) < lastTypes.indexOf(CREATE),
      lastTypes.join(),
    );
    const create = rows().nth(lastTypes.indexOf(CREATE));
    const text = (await create.textContent()) ?? '';
    assert.match(text, /Create custom email server/);
    assert.match(text, /SUCCESS/);
    assert.match(text, /EmailServer/);
    assert.equal(await older.isDisabled(), true);
    await screenshot(page, 'system-log-page-2');
    await page.getByRole('button', { name: 'Newer' }).click();
    await page.locator('#log-page', { hasText: 'Page 1' }).waitFor();
    await rows().nth(24).waitFor();
  });

  it('filters by event type and by outcome, and the rows change accordingly', async () => {
    await page.getByLabel('Event type').selectOption(DELIVERY);
    await waitFor('only delivery events', async () => {
      const types = await typesShown();
      return types.length === BULK + 2 && types.every((type) => type === DELIVERY);
    });
    assert.equal(await page.locator('#log-pager').isHidden(), true);
    const results = await resultsShown();
    assert.equal(results.filter((r) => r === 'FAILURE').length, 1);

    await page.getByLabel('Outcome').selectOption('FAILURE');
    await waitFor('only the failed delivery', async () => (await rows().count()) === 1);
    const failed = rows().first();
    assert.equal(await failed.getAttribute('data-event-type'), DELIVERY);
    assert.equal(await failed.getAttribute('data-result'), 'FAILURE');
    assert.match((await failed.textContent()) ?? '', /bounce/);

    await page.getByRole('button', { name: /^Debug data of system\.email\.delivery/ }).click();
    const debug = page.locator('#log-list tr.log-debug').first();
    await debug.waitFor({ state: 'visible' });
    const debugText = (await debug.textContent()) ?? '';
    assert.match(debugText, /byo_email_server_error_response/);
    assert.match(debugText, /550/);
    assert.match(debugText, new RegExp(serverId));
    await screenshot(page, 'system-log-failed-delivery');

    await page.getByLabel('Event type').selectOption(UPDATE);
    await waitFor('no failed update', () => page.locator('#log-list .empty').isVisible());
    await page.getByLabel('Outcome').selectOption('');
    await waitFor('the one update', async () => {
      const types = await typesShown();
      return types.length === 1 && types[0] === UPDATE;
    });
    await page.getByLabel('Event type').selectOption('');
    await rows().nth(24).waitFor();
  });

  it('shows a hook, verifies, deactivates and activates it, and lists its last delivery', async () => {
    const created = await t.api('/api/v1/eventHooks', {
      method: 'POST',
      body: {
        name: 'Server changes',
        events: { type: 'EVENT_TYPE', items: [UPDATE] },
        channel: {
          type: 'HTTP',
          version: '1.0.0',
          config: {
            uri: receiver.uri,
            headers: [],
            authScheme: { type: 'HEADER', key: 'Authorization', value: 's3cret-hook' },
          },
        },
      },
    });
    assert.equal(created.status, 200, created.text);
    await page.getByRole('link', { name: 'Event hooks' }).click();
    const card = page.locator(`[data-hook-id="${created.body.id}"]`);
    await card.waitFor();
    assert.match((await card.textContent()) ?? '', /UNVERIFIED/);
    assert.match((await card.textContent()) ?? '', new RegExp(UPDATE.replaceAll('.', '\\.')));
    assert.match((await card.textContent()) ?? '', /No calls yet/);

    await page.getByRole('button', { name: 'Verify Server changes' }).click();
    await card.getByText('VERIFIED', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Deactivate Server changes' }).click();
    await card.getByText('INACTIVE', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Activate Server changes' }).click();
    await card.getByText('ACTIVE', { exact: true }).waitFor();
    const hook = await t.api(`/api/v1/eventHooks/${created.body.id}`);
    assert.equal(hook.body.status, 'ACTIVE');
    assert.equal(hook.body.verificationStatus, 'VERIFIED');

    const renamed = await t.api(`/api/v1/email-servers/${serverId}`, {
      method: 'PATCH',
      body: { alias: 'Hooked relay' },
    });
    assert.equal(renamed.status, 200, renamed.text);
    await waitFor('the update at the receiver', () => receiver.calls.some((call) => call.method === 'POST'));
    await waitFor('the call listed', async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return (await card.locator('table.hook-calls tbody tr').count()) === 1;
    });
    const call = card.locator('table.hook-calls tbody tr').first();
    assert.equal(await call.getAttribute('data-result'), 'SUCCESS');
    assert.match((await call.textContent()) ?? '', /200/);
    assert.doesNotMatch((await card.textContent()) ?? '', /s3cret-hook/);
    await screenshot(page, 'event-hooks');
  });

  it('hides both views from a token that may read neither', async () => {
    const { secret } = await t.services.apiTokens.create(t.orgId, 'servers only', {
      scopes: ['okta.emailServers.read'],
    });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, t.url, secret);
    assert.equal(await page.getByRole('link', { name: 'Deliveries' }).isVisible(), true);
    assert.equal(await page.getByRole('link', { name: 'System Log' }).isVisible(), false);
    assert.equal(await page.getByRole('link', { name: 'Event hooks' }).isVisible(), false);
    // A typed address falls back to the servers view (from another view, so the heading shows it happened).
    await page.getByRole('link', { name: 'Deliveries' }).click();
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
    await page.goto(`${t.url}/admin#/event-hooks`);
    await page.getByRole('heading', { name: 'Email servers' }).waitFor();
    assert.equal(await page.locator('#event-hooks-view').isVisible(), false);

    const { secret: reader } = await t.services.apiTokens.create(t.orgId, 'log reader', {
      scopes: ['okta.emailServers.read', 'okta.logs.read', 'okta.eventHooks.read'],
    });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, t.url, reader);
    await page.getByRole('link', { name: 'Event hooks' }).click();
    await page.locator('[data-hook-id]').first().waitFor();
    assert.equal(await page.getByRole('button', { name: /^(Verify|Activate|Deactivate) / }).count(), 0);
    await page.getByRole('link', { name: 'System Log' }).click();
    await rows().first().waitFor();
  });

  it('reported no script errors, CSP violations or requests to other origins', () => {
    assert.deepEqual(problems, []);
  });
});
