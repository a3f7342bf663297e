import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { SecretBox } from '../../src/secrets/secret-box.ts';
import { sealServerSecret } from '../../src/secrets/server-secrets.ts';
import type { OAuthServer } from '../../src/smtp/oauth/grants.ts';
import { createOAuthTokenClient } from '../../src/smtp/oauth/token-client.ts';
import { OAuthTokenFailure } from '../../src/smtp/oauth/token-failure.ts';
import { startTokenEndpoint, type TestTokenEndpoint } from './helpers/token-endpoint.ts';

const SECRET = 'token-client-secret-9d1c';

describe('OAuth token client: cache until shortly before expiry, one fetch at a time, refresh on refusal', () => {
  let endpoint: TestTokenEndpoint;
  const secretBox = new SecretBox({ keys: new Map([['k1', randomBytes(32)]]), currentKeyId: 'k1' });
  const config = loadConfig({
    MAILROUTE_TOKEN_ENDPOINT_ALLOW: '127.0.0.1',
    MAILROUTE_SMTP_OAUTH_REFRESH_MARGIN_SECONDS: '60',
  });
  let clock = 1_700_000_000_000;
  const client = () =>
    createOAuthTokenClient({
      secretBox,
      settings: config.smtpOAuth,
      guard: config.smtpOAuth.endpointGuard,
      now: () => clock,
    });

  function server(id: string, fields: Partial<OAuthServer> = {}): OAuthServer {
    const base: OAuthServer = {
      id,
      orgId: 'org1',
      host: 'smtp.example.com',
      port: 587,
      username: 'mailer@example.com',
      authType: 'OAUTH2_CLIENT_CREDENTIALS',
      tokenEndpoint: endpoint.url,
      clientId: 'tc-client',
      tokenEndpointAuthMethod: 'CLIENT_SECRET_BASIC',
      scopes: ['smtp.send'],
      ...fields,
    };
    return { ...base, clientSecretSealed: sealServerSecret(secretBox, base, 'clientSecret', SECRET) };
  }

  before(async () => {
    endpoint = await startTokenEndpoint([{ clientId: 'tc-client', clientSecret: SECRET }], { expiresIn: 3600 });
  });
  after(() => endpoint.close());

  it('many callers while a fetch is in flight share that one fetch', async () => {
    const tokens = client();
    const target = server('ces-concurrent');
    const before = endpoint.requests.length;
    endpoint.hold();
    // All twenty ask before the endpoint answers anything.
    const pending = Array.from({ length: 20 }, () => tokens.accessToken(target));
    await endpoint.waitForRequests(before + 1);
    endpoint.release();
    const results = await Promise.all(pending);
    assert.equal(endpoint.requests.length, before + 1);
    assert.equal(new Set(results.map((r) => r.value)).size, 1);
  });

  it('a token is reused until refreshMargin before expires_in, then fetched again', async () => {
    const tokens = client();
    const target = server('ces-expiry');
    const before = endpoint.requests.length;
    const first = await tokens.accessToken(target);
    assert.equal(first.expiresAt, clock + 3_600_000);
    clock += 3_539_000; // 61 s before expiry: still good
    assert.equal((await tokens.accessToken(target)).value, first.value);
    assert.equal(endpoint.requests.length, before + 1);
    clock += 2_000; // 59 s before expiry: inside the margin
    const second = await tokens.accessToken(target);
    assert.notEqual(second.value, first.value);
    assert.equal(endpoint.requests.length, before + 2);
  });

  it('a token the SMTP server refused is never handed out again; a token someone already replaced is not refetched', async () => {
    const tokens = client();
    const target = server('ces-rejected');
    const before = endpoint.requests.length;
    const first = await tokens.accessToken(target);
    const second = await tokens.accessToken(target, { rejected: first.value });
    assert.notEqual(second.value, first.value);
    // A second connection that also held `first` gets `second`, without another fetch.
    const third = await tokens.accessToken(target, { rejected: first.value });
    assert.equal(third.value, second.value);
    assert.equal(endpoint.requests.length, before + 2);
  });

  it('changed OAuth settings (a new secret) start afresh', async () => {
    const tokens = client();
    const before = endpoint.requests.length;
    await tokens.accessToken(server('ces-changed'));
    await tokens.accessToken(server('ces-changed')); // sealed again: a different ciphertext
    assert.equal(endpoint.requests.length, before + 2);
  });

  it('a failed fetch is not cached: every caller sees the failure, the next call tries again', async () => {
    const tokens = client();
    const target = server('ces-failing', { clientId: 'unknown-client' });
    const before = endpoint.requests.length;
    const results = await Promise.allSettled([tokens.accessToken(target), tokens.accessToken(target)]);
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      assert.ok((result as PromiseRejectedResult).reason instanceof OAuthTokenFailure);
      assert.equal((result as PromiseRejectedResult).reason.diagnosis.oauth.error, 'invalid_client');
    }
    assert.equal(endpoint.requests.length, before + 1);
    await assert.rejects(tokens.accessToken(target), OAuthTokenFailure);
    assert.equal(endpoint.requests.length, before + 2);
  });

  it('a secret sealed for another token endpoint or client does not open', async () => {
    const tokens = client();
    const moved = { ...server('ces-moved'), clientId: 'other-client' };
    await assert.rejects(tokens.accessToken(moved), (error: Error & { diagnosis?: { hint?: string } }) => {
      assert.match(error.diagnosis?.hint ?? '', /cannot be decrypted/);
      return true;
    });
  });
});
