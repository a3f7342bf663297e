import assert from 'node:assert/strict';
import { after, afterEach, before, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  createCustomServer,
  type DeliveryTestApp,
  startDeliveryApp,
  waitFor,
  welcome,
} from '../delivery/delivery-helpers.ts';
import { describeUnless } from '../helpers/skip.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { chromiumMissing, launchChromium, screenshot, watchForProblems } from './chromium.ts';

const NOTIFICATIONS = '/api/v1/mailroute/notifications';
/** A full page of newer messages, so the two oldest are alone on the second. */
const BULK = 50;

describeUnless(chromiumMissing, 'admin page: deliveries paging, search, details and health in Chromium', () => {
  let t: DeliveryTestApp;
  let smtp: TestSmtpServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let bounced: string;

  before(async () => {
    smtp = await startSmtpServer({ users: { relay: 'relay-secret' }, rejectRecipients: ['bounce@example.com'] });
    t = await startDeliveryApp();
    await createCustomServer(t, smtp, TEST_TLS.ca, { alias: 'Primary relay' });
    // The two oldest messages end up alone on the second page.
    const first = await t.api(NOTIFICATIONS, { method: 'POST', body: welcome('ada@example.com') });
    const second = await t.api(NOTIFICATIONS, { method: 'POST', body: welcome('bounce@example.com') });
    assert.equal(second.status, 202, second.text);
    bounced = second.body.id;
    for (let n = 0; n < BULK; n++) {
      const res = await t.api(NOTIFICATIONS, { method: 'POST', body: welcome(`bulk-${n}@example.com`) });
      assert.equal(res.status, 202, res.text);
    }
    assert.equal(first.status, 202);
    await waitFor('every message delivered or failed', async () => {
      const queued = await t.api(`${NOTIFICATIONS}?status=queued&limit=1`);
      const sending = await t.api(`${NOTIFICATIONS}?status=sending&limit=1`);
      return queued.body.length === 0 && sending.body.length === 0;
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.setDefaultTimeout(10_000);
    problems = watchForProblems(page, t.url);
    await page.goto(`${t.url}/admin`);
    await page.getByLabel('API token').fill(t.token);
    await page.getByLabel('API token').press('Enter');
    await page.getByRole('heading', { name: 'Email servers' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await t?.close();
    await smtp?.close();
  });

  afterEach(async () => {
    await page?.evaluate(() => {
      for (const dialog of document.querySelectorAll('dialog')) dialog.close();
    });
  });

  const rows = () => page.locator('#deliveries-list tbody tr');

  it("does not show a refused recipient's 550 as the server's health", async () => {
    const health = page.locator('#servers-list tbody tr [data-health-for]');
    await health.locator('.health').waitFor();
    const text = (await health.textContent()) ?? '';
    assert.match(text, /Last success: /);
    assert.doesNotMatch(text, /Last error|550/);
  });

  it('pages through messages with the API’s next links', async () => {
    await page.getByRole('link', { name: 'Deliveries' }).click();
    await rows().nth(49).waitFor();
    assert.equal(await rows().count(), 50);
    const older = page.getByRole('button', { name: 'Older' });
    const newer = page.getByRole('button', { name: 'Newer' });
    assert.equal(await newer.isDisabled(), true);
    await older.click();
    await page.locator('#deliveries-page', { hasText: 'Page 2' }).waitFor();
    await rows().nth(2).waitFor({ state: 'detached' });
    const recipients = await page
      .locator('#deliveries-list tbody th')
      .evaluateAll((cells) => cells.map((cell) => cell.firstChild?.textContent));
    assert.deepEqual(recipients, ['bounce@example.com', 'ada@example.com']);
    assert.equal(await older.isDisabled(), true);
    await screenshot(page, 'deliveries-page-2');
    await newer.click();
    await page.locator('#deliveries-page', { hasText: 'Page 1' }).waitFor();
    await rows().nth(49).waitFor();
  });

  it('searches by part of the recipient address, and names the field of a bad search', async () => {
    await page.getByLabel('Recipient').fill('BOUNCE@');
    await page.getByRole('button', { name: 'Search' }).click();
    await rows().nth(1).waitFor({ state: 'detached' });
    assert.equal(await rows().count(), 1);
    assert.equal(await rows().first().getAttribute('data-notification-id'), bounced);
    // The pager is redrawn after the rows: wait for it rather than sample it.
    await page.locator('#deliveries-pager').waitFor({ state: 'hidden' });

    await page.getByLabel('Recipient').fill('a b');
    await page.getByRole('button', { name: 'Search' }).click();
    const alert = page.locator('#deliveries-alert');
    await alert.waitFor({ state: 'visible' });
    assert.match((await alert.textContent()) ?? '', /E0000001[\s\S]*recipient/);
    await page.getByLabel('Recipient').fill('bounce');
    await page.getByRole('button', { name: 'Search' }).click();
    await alert.waitFor({ state: 'hidden' });
    await rows().first().waitFor();
  });

  it("shows a message's details with every attempt", async () => {
    await page.getByRole('button', { name: 'Details of the message to bounce@example.com' }).click();
    const dialog = page.getByRole('dialog', { name: 'Message to bounce@example.com' });
    await dialog.waitFor();
    const attempts = dialog.locator('table.attempts tbody tr');
    await attempts.first().waitFor();
    assert.equal(await attempts.count(), 1);
    const text = (await attempts.first().textContent()) ?? '';
    assert.match(text, /permanent/);
    assert.match(text, /550/);
    assert.match(text, /This message/);
    assert.match((await dialog.textContent()) ?? '', /Primary relay/);
    await screenshot(page, 'deliveries-message-detail');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
  });

  it('reported no script errors, CSP violations or requests to other origins', () => {
    assert.deepEqual(problems, []);
  });
});
