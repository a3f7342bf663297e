import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { request, startTestApp, type TestApp } from '../helpers/app.ts';
import { describeUnless } from '../helpers/skip.ts';
import { startAuthorizationServer, type TestAuthorizationServer } from './authorization-server.ts';
import { chromiumMissing, launchChromium, watchForProblems } from './chromium.ts';

const CLIENT_ID = '0oa-mailroute-admin';
const AUDIENCE = 'api://mailroute';
const PENDING_KEY = 'mailroute.admin.oauth';
const TOKEN_KEY = 'mailroute.admin.token';

function oauthEnv(as: TestAuthorizationServer): Record<string, string> {
  return {
    MAILROUTE_OAUTH_ISSUER: as.issuer,
    MAILROUTE_OAUTH_AUDIENCE: AUDIENCE,
    MAILROUTE_OAUTH_JWKS_URI: as.jwksUri,
    MAILROUTE_ADMIN_OAUTH_CLIENT_ID: CLIENT_ID,
  };
}

describe('admin page OAuth settings (HTTP)', () => {
  let as: TestAuthorizationServer;
  let plain: TestApp;
  let withOAuth: TestApp;
  before(async () => {
    as = await startAuthorizationServer({ clientId: CLIENT_ID, audience: AUDIENCE });
    plain = await startTestApp();
    withOAuth = await startTestApp(oauthEnv(as));
  });
  after(async () => {
    await plain?.close();
    await withOAuth?.close();
    await as?.close();
  });

  it("adds the issuer's origin to connect-src only when the admin OAuth client is configured", async () => {
    const without = (await request(`${plain.url}/admin`)).headers.get('content-security-policy') ?? '';
    assert.match(without, /connect-src 'self';/);
    assert.ok(!without.includes(as.origin));
    const withIt = (await request(`${withOAuth.url}/admin`)).headers.get('content-security-policy') ?? '';
    assert.ok(withIt.includes(`connect-src 'self' ${as.origin};`), withIt);
    // Only connect-src widens: scripts, styles and forms stay on this origin.
    assert.match(withIt, /script-src 'self';/);
    assert.match(withIt, /form-action 'self';/);
    assert.doesNotMatch(withIt, /unsafe-inline|unsafe-eval/);
  });

  it('publishes the public client settings at /admin/config.json, and null without them', async () => {
    assert.deepEqual((await request(`${plain.url}/admin/config.json`)).body, { oauth: null });
    const { body } = await request(`${withOAuth.url}/admin/config.json`);
    assert.equal(body.oauth.issuer, as.issuer);
    assert.equal(body.oauth.clientId, CLIENT_ID);
    assert.deepEqual(body.oauth.scopes, [
      'okta.emailServers.read',
      'okta.emailServers.manage',
      'mailroute.notifications.read',
      'mailroute.notifications.send',
    ]);
  });

  it('refuses an admin client without an OAuth issuer, or for an issuer the API does not trust', () => {
    assert.throws(() => loadConfig({ MAILROUTE_ADMIN_OAUTH_CLIENT_ID: CLIENT_ID }), ConfigError);
    assert.throws(
      () => loadConfig({ ...oauthEnv(as), MAILROUTE_ADMIN_OAUTH_ISSUER: 'https://other.example.com/oauth2/default' }),
      /MAILROUTE_ADMIN_OAUTH_ISSUER/,
    );
    assert.equal(
      loadConfig({ ...oauthEnv(as), MAILROUTE_ADMIN_OAUTH_ISSUER: as.issuer }).adminOAuth?.issuer,
      as.issuer,
    );
  });
});

describeUnless(chromiumMissing, 'admin page OAuth sign-in (authorization code + PKCE) in Chromium', () => {
  let as: TestAuthorizationServer;
  let t: TestApp;
  let browser: Browser;

  before(async () => {
    as = await startAuthorizationServer({ clientId: CLIENT_ID, audience: AUDIENCE });
    t = await startTestApp(oauthEnv(as));
    as.redirectUri = `${t.url}/admin/`;
    const created = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: {
        alias: 'Relay seen through OAuth',
        host: 'smtp.example.com',
        port: 587,
        username: 'relay',
        password: 'secret',
      },
    });
    assert.equal(created.status, 201, created.text);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await t?.close();
    await as?.close();
  });

  /** A fresh tab; problems other than requests to the issuer (which the page must make) are collected. */
  async function openPage(): Promise<{
    context: BrowserContext;
    page: Page;
    problems: () => string[];
    apiAuthorizations: string[];
  }> {
    const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const all = watchForProblems(page, t.url);
    const apiAuthorizations: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith(`${t.url}/api/`)) return;
      // The tab can close before the headers are read (a request still in flight): that one is not counted.
      void req.allHeaders().then(
        (headers) => apiAuthorizations.push(headers.authorization ?? ''),
        () => undefined,
      );
    });
    return {
      context,
      page,
      apiAuthorizations,
      problems: () => all.filter((p) => !p.startsWith(`foreign request: ${as.origin}/`)),
    };
  }

  const signInButton = (page: Page) =>
    page.getByRole('button', { name: `Sign in with 127.0.0.1:${new URL(as.origin).port}/oauth2/default` });

  it('signs in with the issuer, lands back on /admin signed in, and lists servers with the Bearer token', async () => {
    const { context, page, problems, apiAuthorizations } = await openPage();
    await page.goto(`${t.url}/admin`);
    await signInButton(page).click();
    await page.getByRole('rowheader', { name: 'Relay seen through OAuth' }).waitFor();

    assert.equal(as.issued.length, 1);
    const [accessToken] = as.issued;
    assert.equal(as.tokenRequests.at(-1)?.error, null, 'the code was exchanged with the right verifier');
    const where = await page.evaluate(
      ([tokenKey, pendingKey]) => ({
        token: sessionStorage.getItem(tokenKey),
        pending: sessionStorage.getItem(pendingKey),
        local: localStorage.length,
        cookie: document.cookie,
        url: location.href,
      }),
      [TOKEN_KEY, PENDING_KEY],
    );
    assert.equal(where.token, accessToken, 'the access token is in sessionStorage');
    assert.equal(where.pending, null, 'the verifier and state are gone once used');
    assert.equal(where.local, 0);
    assert.equal(where.cookie, '');
    assert.equal(where.url, `${t.url}/admin/`, 'code and state are stripped from the address');
    assert.ok(!where.url.includes(accessToken));
    assert.ok(apiAuthorizations.length > 0);
    for (const authorization of apiAuthorizations) assert.equal(authorization, `Bearer ${accessToken}`);
    assert.deepEqual(problems(), []);

    // The token the API accepted carries the scopes the page asked for.
    const claims = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString('utf8'));
    assert.deepEqual(claims.scp, [
      'okta.emailServers.read',
      'okta.emailServers.manage',
      'mailroute.notifications.read',
      'mailroute.notifications.send',
    ]);
    await context.close();
  });

  it('shows the error when the issuer refuses the sign-in (error= in the callback)', async () => {
    const { context, page, problems } = await openPage();
    await page.goto(`${t.url}/admin`);
    as.denyNext = true;
    await signInButton(page).click();
    const alert = page.locator('#oauth-sign-in-error');
    await alert.waitFor({ state: 'visible' });
    assert.match((await alert.textContent()) ?? '', /The resource owner denied the request \(access_denied\)/);
    assert.equal(await page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY), null);
    assert.equal(page.url(), `${t.url}/admin/`, 'error and state are stripped from the address');
    await page.getByLabel('API token').waitFor();
    assert.deepEqual(problems(), []);
    await context.close();
  });

  it('refuses a tampered code_verifier at the token endpoint and shows why, staying signed out', async () => {
    const { context, page, problems } = await openPage();
    // On the return from the issuer, before the page's script runs, swap the stored verifier.
    await context.addInitScript((pendingKey: string) => {
      if (!new URLSearchParams(location.search).has('code')) return;
      const pending = JSON.parse(sessionStorage.getItem(pendingKey) ?? 'null');
      if (pending)
        sessionStorage.setItem(
          pendingKey,
          JSON.stringify({ ...pending, codeVerifier: 'tampered-verifier-tampered-verifier-tampered' }),
        );
    }, PENDING_KEY);
    const tokensBefore = as.issued.length;
    await page.goto(`${t.url}/admin`);
    await signInButton(page).click();
    const alert = page.locator('#oauth-sign-in-error');
    await alert.waitFor({ state: 'visible' });
    assert.match((await alert.textContent()) ?? '', /PKCE verification failed\. \(invalid_grant\)/);
    assert.deepEqual(as.tokenRequests.at(-1), {
      codeVerifier: 'tampered-verifier-tampered-verifier-tampered',
      error: 'invalid_grant',
    });
    assert.equal(as.issued.length, tokensBefore, 'no token issued');
    assert.equal(await page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY), null);
    assert.equal(await page.locator('#servers-view').isHidden(), true);
    assert.deepEqual(problems(), []);
    await context.close();
  });
});
