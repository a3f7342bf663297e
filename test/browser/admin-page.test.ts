import assert from 'node:assert/strict';
import { after, afterEach, before, it } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { describeUnless } from '../helpers/skip.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { chromiumMissing, launchChromium, screenshot, watchForProblems } from './chromium.ts';

const SMTP_USER = 'relay-user';
const SMTP_PASSWORD = 'correct horse battery staple';
/** Text of an element as in the DOM (textContent), never null. */
async function textOf(locator: Locator): Promise<string> {
  return (await locator.textContent()) ?? '';
}

/** Polls the API until the notification reaches `status` (bounded: 100 rounds, ~10 s). */
async function waitForStatus(t: TestApp, id: string, status: string): Promise<void> {
  for (let round = 0; round < 100; round++) {
    const res = await t.api(`/api/v1/mailroute/notifications/${id}`);
    if (res.body?.status === status) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`notification ${id} never reached ${status}`);
}

const WELCOME = {
  template: 'welcome',
  variables: { firstName: 'Ada', orgName: 'Example', loginUrl: 'https://login.example.com/' },
};

const XSS_ALIAS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';

describeUnless(chromiumMissing, 'admin page in Chromium', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  let bounced: string;
  let worker: { start(): void; stop(timeoutMs?: number): Promise<void> };
  // Mutable: the test lets this recipient through later, so a resent message can succeed.
  const rejectedRecipients = ['bounce@example.com'];

  before(async () => {
    // The SMTP test server lives on loopback, which the destination guard refuses unless allowlisted.
    t = await startTestApp({ MAILROUTE_SMTP_ALLOW: '127.0.0.1', MAILROUTE_DELIVERY_POLL_MS: '50' });
    smtp = await startSmtpServer({ users: { [SMTP_USER]: SMTP_PASSWORD }, rejectRecipients: rejectedRecipients });
    // The delivery worker, as main.ts starts it.
    worker = t.delivery.createWorker(t.app.log);
    worker.start();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    problems = watchForProblems(page, t.url);
  });

  after(async () => {
    await browser?.close();
    await worker?.stop(2000);
    await smtp?.close();
    await t?.close();
  });

  // One failed step must not leave a modal dialog in the way of the next.
  afterEach(async () => {
    await page?.evaluate(() => {
      for (const dialog of document.querySelectorAll('dialog')) dialog.close();
    });
  });

  const row = (alias: string) =>
    page.locator('#servers-list tbody tr', { has: page.getByRole('rowheader', { name: alias, exact: true }) });

  async function fillServerForm(fields: {
    alias?: string;
    host?: string;
    port?: string;
    username?: string;
    password?: string;
  }) {
    for (const [name, value] of Object.entries(fields))
      if (value !== undefined) await page.locator(`#server-${name}`).fill(value);
  }

  async function enrol(alias: string, password: string): Promise<void> {
    await page.getByRole('button', { name: 'Enrol server' }).click();
    await fillServerForm({ alias, host: '127.0.0.1', port: String(smtp.port), username: SMTP_USER, password });
    await page.locator('#server-tlsMode').selectOption('starttls');
    await page.locator('#server-caCertificate').fill(TEST_TLS.ca);
    await page.locator('#server-submit').click();
    await row(alias).waitFor();
  }

  it('serves the page with a strict Content-Security-Policy and no inline code', async () => {
    const response = await page.goto(`${t.url}/admin`);
    assert.equal(response?.status(), 200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const inline = await page.evaluate(() => ({
      scripts: [...document.scripts].filter((s) => !s.src).length,
      styles: document.querySelectorAll('style, [style]').length,
    }));
    assert.deepEqual(inline, { scripts: 0, styles: 0 });
  });

  it('signs in with an API token kept in sessionStorage only, after refusing a wrong one', async () => {
    const token = page.getByLabel('API token');
    await token.waitFor();
    await screenshot(page, 'sign-in');
    await token.fill('not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#sign-in-token-error', { hasText: 'Invalid token provided' }).waitFor();
    assert.equal(await token.getAttribute('aria-invalid'), 'true');

    await token.fill(t.token);
    await token.press('Enter');
    await page.getByRole('heading', { name: 'Email servers' }).waitFor();
    await page.getByText('No servers enrolled yet').waitFor();
    const where = await page.evaluate(() => ({
      session: sessionStorage.getItem('mailroute.admin.token'),
      local: localStorage.length,
      cookie: document.cookie,
      url: location.href,
    }));
    assert.equal(where.session, t.token);
    assert.equal(where.local, 0);
    assert.equal(where.cookie, '');
    assert.ok(!where.url.includes(t.token));
  });

  it('enrols a server through the form', async () => {
    await enrol('Primary relay', SMTP_PASSWORD);
    const cells = await row('Primary relay').locator('td').allInnerTexts();
    assert.match(cells[0], new RegExp(`127\\.0\\.0\\.1:${smtp.port}`));
    assert.match(cells[1], /STARTTLS/);
    assert.match(cells[2], /Disabled/);
    const list = await t.api('/api/v1/email-servers');
    assert.equal(list.body['email-servers'].length, 1);
    assert.equal(list.body['email-servers'][0].alias, 'Primary relay');
  });

  it('shows the API validation error for a bad port at the port field', async () => {
    await page.getByRole('button', { name: 'Enrol server' }).click();
    await fillServerForm({ alias: 'Bad port', host: 'smtp.example.com', port: '70000', username: 'u', password: 'p' });
    await page.locator('#server-submit').click();
    const error = page.locator('#server-port-error');
    await error.waitFor({ state: 'visible' });
    assert.match(await textOf(error), /65535/);
    assert.equal(await page.locator('#server-port').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('#server-alias').getAttribute('aria-invalid'), null);
    // Focus moves to the field that needs fixing.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'server-port');
    await screenshot(page, 'enrol-validation-error');
    await page.keyboard.press('Escape');
    await page.locator('#server-dialog').waitFor({ state: 'hidden' });
    assert.equal((await t.api('/api/v1/email-servers')).body['email-servers'].length, 1);
  });

  it('asks for the password again when the host changes, and says why', async () => {
    await row('Primary relay').getByRole('button', { name: 'Edit Primary relay' }).click();
    const hint = page.locator('#server-password-hint');
    assert.match(await textOf(hint), /password is set/i);
    assert.equal(await page.locator('#server-password').inputValue(), '');
    await page.locator('#server-host').fill('localhost');
    assert.match(await textOf(hint), /Required again: the host, port or username changed/);
    await page.locator('#server-submit').click();
    await page.locator('#server-password-error', { hasText: 'required' }).waitFor();
    await page.locator('#server-host').fill('127.0.0.1');
    assert.match(await textOf(hint), /password is set/i);
    await page.getByRole('button', { name: 'Cancel' }).first().click();
  });

  it('sends a test email that succeeds and shows every step passed', async () => {
    await row('Primary relay').getByRole('button', { name: 'Send test email through Primary relay' }).click();
    await page.getByLabel('From', { exact: true }).fill('admin@example.com');
    await page.getByLabel('To', { exact: true }).fill('someone@example.com');
    await page.getByRole('button', { name: 'Send test', exact: true }).click();
    const outcome = page.locator('#test-result [data-outcome]');
    await outcome.waitFor();
    assert.equal(await outcome.getAttribute('data-outcome'), 'passed', await textOf(outcome));
    await page.getByText('Test email sent').waitFor();
    const [message] = await smtp.waitForMessages(1);
    assert.equal(message.from, 'admin@example.com');
    assert.deepEqual(message.to, ['someone@example.com']);
    await screenshot(page, 'test-passed');
    await page.keyboard.press('Escape');
  });

  it('sends a test that fails at auth and shows the stage, the server reply and the hint', async () => {
    await enrol('Wrong password relay', 'not the password');
    await row('Wrong password relay')
      .getByRole('button', { name: /Send test email/ })
      .click();
    await page.getByLabel('From', { exact: true }).fill('admin@example.com');
    await page.getByLabel('To', { exact: true }).fill('someone@example.com');
    await page.getByRole('button', { name: 'Send test', exact: true }).click();
    const outcome = page.locator('#test-result [data-outcome]');
    await outcome.waitFor();
    assert.equal(await outcome.getAttribute('data-outcome'), 'failed');
    assert.equal(await outcome.getAttribute('data-failed-stage'), 'auth', await textOf(outcome));
    assert.equal(await outcome.locator('[data-stage="connect"]').getAttribute('data-state'), 'passed');
    assert.equal(await outcome.locator('[data-stage="auth"]').getAttribute('data-state'), 'failed');
    assert.equal(await outcome.locator('[data-stage="data"]').getAttribute('data-state'), 'not reached');
    assert.match(await textOf(outcome.locator('.test-reply')), /535/);
    assert.ok((await textOf(outcome.locator('.test-hint'))).length > 'Hint'.length + 5);
    assert.match(await textOf(outcome), /E0000224/);
    assert.ok(!(await textOf(outcome)).includes('not the password'));
    await screenshot(page, 'test-failed-auth');
    await page.keyboard.press('Escape');
  });

  it('enables one server, then explains why a second cannot be enabled', async () => {
    await row('Primary relay').getByRole('button', { name: 'Enable Primary relay' }).click();
    await row('Primary relay').getByText('Enabled', { exact: true }).waitFor();
    await page.locator('#one-enabled-rule', { hasText: 'All email goes through "Primary relay"' }).waitFor();

    await row('Wrong password relay').getByRole('button', { name: 'Enable Wrong password relay' }).click();
    const alert = page.locator('#servers-alert');
    await alert.waitFor({ state: 'visible' });
    const text = await textOf(alert);
    assert.match(text, /only one server can be enabled at a time/);
    assert.match(text, /"Primary relay" is enabled now; disable it first/);
    assert.match(text, /E0000222/);
    assert.match(await textOf(row('Wrong password relay')), /Disabled/);
    await screenshot(page, 'servers-one-enabled-rule');
  });

  it('deletes a server only after confirmation', async () => {
    await row('Wrong password relay').getByRole('button', { name: 'Delete Wrong password relay' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Wrong password relay?' });
    await dialog.waitFor();
    // The safe choice has the focus; Escape cancels.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'confirm-cancel');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await row('Wrong password relay').count(), 1);

    await row('Wrong password relay').getByRole('button', { name: 'Delete Wrong password relay' }).click();
    await dialog.getByRole('button', { name: 'Delete server' }).click();
    await row('Wrong password relay').waitFor({ state: 'detached' });
    const list = await t.api('/api/v1/email-servers');
    assert.deepEqual(
      list.body['email-servers'].map((s: { alias: string }) => s.alias),
      ['Primary relay'],
    );
  });

  it('lists deliveries with status, server, attempts and last reply, a per-hour chart, and filters by status', async () => {
    const submit = async (recipient: string) => {
      const res = await t.api('/api/v1/mailroute/notifications', { method: 'POST', body: { ...WELCOME, recipient } });
      assert.equal(res.status, 202, res.text);
      return res.body.id as string;
    };
    const sent = [await submit('ada@example.com'), await submit('grace@example.com')];
    bounced = await submit('bounce@example.com');
    for (const id of sent) await waitForStatus(t, id, 'sent');
    await waitForStatus(t, bounced, 'failed');

    await page.getByRole('link', { name: 'Deliveries' }).click();
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
    const rows = page.locator('#deliveries-list tbody tr');
    await rows.nth(2).waitFor();
    assert.equal(await rows.count(), 3);
    const failedRow = page.locator(`tr[data-notification-id="${bounced}"]`);
    const failedText = await textOf(failedRow);
    assert.match(failedText, /bounce@example\.com/);
    assert.match(failedText, /failed/);
    assert.match(failedText, /Primary relay/);
    assert.match(await textOf(failedRow.locator('td[data-label="Last reply"]')), /550/);
    assert.equal(await textOf(failedRow.locator('td[data-label="Attempts"]')), '1');

    // The chart's current hour holds the two sent and the one failed message.
    const currentHour = page.locator('#deliveries-chart g[data-hour]').last();
    assert.equal(await currentHour.getAttribute('data-sent'), '2');
    assert.equal(await currentHour.getAttribute('data-failed'), '1');
    assert.equal(await page.locator('#deliveries-chart g[data-hour]').count(), 24);
    await screenshot(page, 'deliveries');

    await page.getByLabel('Status').selectOption('failed');
    await page.locator('#deliveries-list tbody tr').nth(1).waitFor({ state: 'detached' });
    assert.deepEqual(
      await page
        .locator('#deliveries-list tbody tr')
        .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status'))),
      ['failed'],
    );
  });

  it("shows each server's delivery health; a refused recipient is not the server's error", async () => {
    await page.getByRole('link', { name: 'Email servers' }).click();
    const health = row('Primary relay').locator('[data-health-for]');
    // The cell first shows what the previous visit loaded; wait for this visit's answer.
    await health.getByText('Last success:').waitFor();
    const text = await textOf(health);
    assert.match(text, /Last success: /);
    assert.doesNotMatch(text, /Last error|550/);
    // The health state badge: deliveries alone (no probe runs here) made the server healthy.
    assert.equal(await textOf(health.locator('.badge-health-healthy')), 'healthy');
  });

  it('resends a failed message from the deliveries view', async () => {
    rejectedRecipients.length = 0;
    await page.getByRole('link', { name: 'Deliveries' }).click();
    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('button', { name: 'Resend to bounce@example.com' }).click();
    await waitForStatus(t, bounced, 'sent');
    await page.getByLabel('Status').selectOption('sent');
    await page.locator(`tr[data-notification-id="${bounced}"][data-status="sent"]`).waitFor();
    assert.ok(smtp.messages.some((m) => m.to.includes('bounce@example.com')));
    await page.getByRole('link', { name: 'Email servers' }).click();
  });

  it('renders an alias containing <script> as text, without running it', async () => {
    const created = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: { alias: XSS_ALIAS, host: 'smtp.example.com', port: 587, username: 'u', password: 'p' },
    });
    assert.equal(created.status, 201);
    await page.reload();
    const header = page.getByRole('rowheader', { name: XSS_ALIAS, exact: true });
    await header.waitFor();
    assert.equal(await header.textContent(), XSS_ALIAS);
    const injected = await page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: number }).__pwned,
      images: document.querySelectorAll('#servers-list img').length,
      scripts: document.querySelectorAll('#servers-list script').length,
    }));
    assert.deepEqual(injected, { pwned: undefined, images: 0, scripts: 0 });
    // The test dialog and the delete confirmation show the alias as text too.
    await row(XSS_ALIAS)
      .getByRole('button', { name: /^Delete/ })
      .click();
    assert.equal(await page.locator('#confirm-dialog-title').textContent(), `Delete ${XSS_ALIAS}?`);
    await page.keyboard.press('Escape');
    await screenshot(page, 'servers');
  });

  it('renders a hostile SMTP reply in the test diagnosis as text', async () => {
    const hostileReply = '<img src=x onerror="window.__pwned = 3">Bad credentials';
    const hostile = await startSmtpServer({
      options: {
        onAuth(_auth, _session, callback) {
          callback(Object.assign(new Error(hostileReply), { responseCode: 535 }));
        },
      },
    });
    try {
      const created = await t.api('/api/v1/email-servers', {
        method: 'POST',
        body: {
          alias: 'Hostile relay',
          host: '127.0.0.1',
          port: hostile.port,
          username: 'u',
          password: 'p',
          tlsMode: 'starttls',
          caCertificate: TEST_TLS.ca,
        },
      });
      assert.equal(created.status, 201, created.text);
      await page.reload();
      await row('Hostile relay')
        .getByRole('button', { name: /Send test email/ })
        .click();
      await page.getByLabel('From', { exact: true }).fill('admin@example.com');
      await page.getByLabel('To', { exact: true }).fill('someone@example.com');
      await page.getByRole('button', { name: 'Send test', exact: true }).click();
      const reply = page.locator('#test-result .test-reply');
      await reply.waitFor();
      assert.match(await textOf(reply), /<img src=x onerror=/);
      const injected = await page.evaluate(() => ({
        pwned: (window as unknown as { __pwned?: number }).__pwned,
        images: document.querySelectorAll('#test-result img').length,
      }));
      assert.deepEqual(injected, { pwned: undefined, images: 0 });
      await page.keyboard.press('Escape');
      assert.equal((await t.api(`/api/v1/email-servers/${created.body.id}`, { method: 'DELETE' })).status, 204);
      await page.reload();
    } finally {
      await hostile.close();
    }
  });

  it('fits a phone-width screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await row('Primary relay').waitFor();
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.equal(overflow, 0, 'no horizontal scrolling at 390px');
    await screenshot(page, 'servers-phone');
    await page.getByRole('link', { name: 'Deliveries' }).click();
    await page.locator('#deliveries-list tbody tr').first().waitFor();
    const deliveriesOverflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.equal(deliveriesOverflow, 0, 'no horizontal scrolling at 390px on the deliveries view');
    await screenshot(page, 'deliveries-phone');
    await page.getByRole('link', { name: 'Email servers' }).click();
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it('signs out, forgetting the token', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('mailroute.admin.token')), null);
  });

  it('reported no script errors, CSP violations or requests to other origins', () => {
    assert.deepEqual(problems, []);
  });
});
