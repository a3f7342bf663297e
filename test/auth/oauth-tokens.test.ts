import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { type ApiResponse, request, startTestApp, type TestApp } from '../helpers/app.ts';
import { newDpopClient, newSigningKey, startTestIssuer, type TestIssuer } from '../helpers/oauth-issuer.ts';
import { assertOktaError } from '../helpers/okta-error.ts';

const AUDIENCE = 'api://mailroute';
const MANAGE = 'okta.emailServers.manage';
const LIST = '/api/v1/email-servers';

describe('OAuth access tokens and DPoP: details', () => {
  let t: TestApp;
  let issuer: TestIssuer;
  before(async () => {
    issuer = await startTestIssuer(['default', 'tenants']);
    t = await startTestApp({
      MAILROUTE_OAUTH_ISSUERS: JSON.stringify([
        { issuer: issuer.issuer('default'), audience: AUDIENCE, jwksUri: issuer.jwksUri('default') },
        { issuer: issuer.issuer('tenants'), audience: AUDIENCE, jwksUri: issuer.jwksUri('tenants'), orgClaim: 'org' },
      ]),
      MAILROUTE_OAUTH_JWKS_COOLDOWN_SECONDS: '0',
    });
  });
  after(async () => {
    await t?.close();
    await issuer?.close();
  });

  const now = () => Math.floor(Date.now() / 1000);
  const get = (authorization: string, extra: Record<string, string> = {}, path = LIST): Promise<ApiResponse> =>
    request(`${t.url}${path}`, { headers: { authorization, ...extra } });
  const manageToken = (claims: Record<string, unknown> = {}) =>
    issuer.sign('default', { aud: AUDIENCE, scp: [MANAGE], ...claims });
  const assertRefused = (
    res: ApiResponse,
    scheme: 'Bearer' | 'DPoP',
    error: 'invalid_token' | 'invalid_dpop_proof',
  ) => {
    assertOktaError(res, { status: 401, errorCode: 'E0000011', errorSummary: 'Invalid token provided' });
    const header = res.headers.get('www-authenticate') ?? '';
    assert.ok(header.startsWith(`${scheme} `), header);
    assert.match(header, new RegExp(`error="${error}"`));
  };

  it('fetches the key set once and reuses it; an unknown kid makes it refetch, so a rotated-in key works at once', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await get(`Bearer ${await manageToken()}`)).status, 200);
    const fetchesBefore = issuer.fetches.get('default');
    assert.equal(fetchesBefore, 1, 'one fetch for three requests');
    const rotated = await newSigningKey();
    issuer.keys.get('default')!.push(rotated);
    const res = await get(`Bearer ${await issuer.sign('default', { aud: AUDIENCE, scp: [MANAGE] }, { key: rotated })}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(issuer.fetches.get('default'), 2, 'refetched once for the new kid');
  });

  it('reads scopes from a space-separated `scope` claim as well as from `scp`', async () => {
    const token = await issuer.sign('default', { aud: AUDIENCE, scope: 'openid okta.emailServers.read' });
    assert.equal((await get(`Bearer ${token}`)).status, 200);
    const none = await issuer.sign('default', { aud: AUDIENCE, scope: 'openid profile' });
    const res = await get(`Bearer ${none}`);
    assert.equal(res.status, 403);
    assert.equal(res.text, '');
  });

  it('accepts a token expired within the clock skew and refuses one not yet valid beyond it', async () => {
    assert.equal((await get(`Bearer ${await manageToken({ exp: now() - 5 })}`)).status, 200);
    assertRefused(await get(`Bearer ${await manageToken({ nbf: now() + 600 })}`), 'Bearer', 'invalid_token');
  });

  it('refuses an HS256 token keyed with the public key (algorithm confusion)', async () => {
    const key = issuer.keys.get('default')![0];
    const secret = new TextEncoder().encode(JSON.stringify(key.publicJwk));
    const forged = await new SignJWT({ iss: issuer.issuer('default'), aud: AUDIENCE, scp: [MANAGE], exp: now() + 300 })
      .setProtectedHeader({ alg: 'HS256', kid: key.kid })
      .sign(secret);
    assertRefused(await get(`Bearer ${forged}`), 'Bearer', 'invalid_token');
  });

  it('refuses a token naming an org that does not exist, or naming none', async () => {
    assertRefused(
      await get(`Bearer ${await issuer.sign('tenants', { aud: AUDIENCE, scp: [MANAGE], org: 'nope' })}`),
      'Bearer',
      'invalid_token',
    );
    assertRefused(
      await get(`Bearer ${await issuer.sign('tenants', { aud: AUDIENCE, scp: [MANAGE] })}`),
      'Bearer',
      'invalid_token',
    );
  });

  describe('DPoP', () => {
    it('refuses a DPoP-bound token sent as Bearer', async () => {
      const client = await newDpopClient();
      assertRefused(await get(`Bearer ${await manageToken({ cnf: { jkt: client.jkt } })}`), 'Bearer', 'invalid_token');
    });

    it('refuses an unbound token sent as DPoP, even with a good proof', async () => {
      const client = await newDpopClient();
      const token = await manageToken();
      const proof = await client.proof({ method: 'GET', url: `${t.url}${LIST}`, accessToken: token });
      assertRefused(await get(`DPoP ${token}`, { dpop: proof }), 'DPoP', 'invalid_token');
    });

    it('refuses a missing proof, a proof by another key, for another method, for another token, or too old', async () => {
      const client = await newDpopClient();
      const stranger = await newDpopClient();
      const token = await manageToken({ cnf: { jkt: client.jkt } });
      const url = `${t.url}${LIST}`;
      assertRefused(await get(`DPoP ${token}`), 'DPoP', 'invalid_dpop_proof');
      const proofs = [
        await stranger.proof({ method: 'GET', url, accessToken: token }),
        await client.proof({ method: 'POST', url, accessToken: token }),
        await client.proof({ method: 'GET', url, accessToken: await manageToken({ cnf: { jkt: client.jkt } }) }),
        await client.proof({ method: 'GET', url, accessToken: token, iat: now() - 3600 }),
      ];
      for (const proof of proofs)
        assertRefused(await get(`DPoP ${token}`, { dpop: proof }), 'DPoP', 'invalid_dpop_proof');
      // None of the refused proofs used up anything: a good one still passes.
      assert.equal(
        (await get(`DPoP ${token}`, { dpop: await client.proof({ method: 'GET', url, accessToken: token }) })).status,
        200,
      );
    });

    it('compares htu without query and with duplicate slashes ignored, as the router does (the Node SDK sends //api)', async () => {
      const client = await newDpopClient();
      const token = await manageToken({ cnf: { jkt: client.jkt } });
      const proof = await client.proof({ method: 'GET', url: `${t.url}//api/v1/email-servers`, accessToken: token });
      const res = await get(`DPoP ${token}`, { dpop: proof }, '//api/v1/email-servers?limit=5');
      assert.equal(res.status, 200, res.text);
    });
  });
});
