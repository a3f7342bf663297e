import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { describeUnless } from '../helpers/skip.ts';
import { chromiumMissing, launchChromium, screenshot, watchForProblems } from './chromium.ts';

// No hyphen or space: a break inside it is a break mid-word.
const LONG_ALIAS = 'notifications.relay.europe.west.primary.example.com';

/** Signs in with a token through the form and waits for the servers view. */
async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/admin`);
  await page.evaluate(() => sessionStorage.clear());
  await page.reload();
  await page.getByLabel('API token').fill(token);
  await page.getByLabel('API token').press('Enter');
  await page.getByRole('heading', { name: 'Email servers' }).waitFor();
}

describeUnless(chromiumMissing, 'admin page: org, scopes and layout in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  before(async () => {
    t = await startTestApp();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.setDefaultTimeout(10_000);
    problems = watchForProblems(page, t.url);
    const created = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: { alias: LONG_ALIAS, host: 'smtp.example.com', port: 587, username: 'u', password: 'p' },
    });
    assert.equal(created.status, 201, created.text);
  });

  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows the org the token belongs to', async () => {
    await signIn(page, t.url, t.token);
    const me = await t.api('/api/v1/mailroute/me');
    assert.equal(me.status, 200);
    await page.locator('#org-name', { hasText: me.body.org.name }).waitFor();
    assert.equal(await page.locator('#org-name').textContent(), me.body.org.name);
    assert.equal(await page.locator('#org-access').isVisible(), false);
    await page.getByRole('button', { name: 'Enrol server' }).waitFor({ state: 'visible' });
  });

  it('keeps a long alias on one line when the table has room', async () => {
    const header = page.getByRole('rowheader', { name: LONG_ALIAS, exact: true });
    await header.waitFor();
    // The text's own height: the cell is as tall as its row.
    const { height, lineHeight } = await header.evaluate((cell) => {
      const text = document.createRange();
      text.selectNodeContents(cell);
      return {
        height: text.getBoundingClientRect().height,
        lineHeight: Number.parseFloat(getComputedStyle(cell).lineHeight),
      };
    });
    assert.ok(height < lineHeight * 1.5, `alias wraps: ${height}px high, line height ${lineHeight}px`);
    await screenshot(page, 'servers-long-alias');
  });

  it('breaks a long alias only to fit a phone-width screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const header = page.getByRole('rowheader', { name: LONG_ALIAS, exact: true });
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.equal(overflow, 0);
    assert.ok(((await header.boundingBox())?.width ?? 0) <= 390);
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it('hides write buttons from a read-only token and says it may only read', async () => {
    const { secret } = await t.services.apiTokens.create(t.orgId, 'reader', {
      scopes: ['okta.emailServers.read', 'mailroute.notifications.read'],
    });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, t.url, secret);
    await page.getByRole('rowheader', { name: LONG_ALIAS, exact: true }).waitFor();
    await page.locator('#org-access', { hasText: 'Read-only' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Enrol server' }).isVisible(), false);
    for (const name of [/^Edit/, /^Send test email/, /^Check .* now$/, /^Enable/, /^Disable/, /^Delete/])
      assert.equal(await page.getByRole('button', { name }).count(), 0, String(name));
    assert.match((await page.locator('#one-enabled-rule').textContent()) ?? '', /may only read/);
    await screenshot(page, 'servers-read-only');

    // The manage token sees them again after signing in.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, t.url, t.token);
    await page.getByRole('button', { name: `Edit ${LONG_ALIAS}` }).waitFor();
    await page.getByRole('button', { name: `Check ${LONG_ALIAS} now` }).waitFor();
    assert.equal(await page.locator('#org-access').isVisible(), false);
  });

  it('reported no script errors, CSP violations or requests to other origins', () => {
    assert.deepEqual(problems, []);
  });
});
