import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashToken } from '../../src/domain/api-tokens.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { ApiToken } from '../../src/store/store.ts';
import { runCli, tempDataDir } from './run-cli.ts';

async function storedToken(dataDir: string, secret: string): Promise<ApiToken | undefined> {
  const store = await openStore({ dataDir, databaseUrl: undefined });
  try {
    return (await store.apiTokens.findByHash(hashToken(secret)))?.token;
  } finally {
    await store.close();
  }
}

describe('CLI: orgs and API tokens (child processes against a temp data dir)', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let orgId: string;
  let secondOrgId: string;
  let tokenId: string;
  let secret: string;

  before(() => {
    dataDir = tempDataDir();
    env = { MAILROUTE_DATA_DIR: dataDir };
  });
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('refuses to create a token before any org exists, and says what to do', async () => {
    const res = await runCli(['tokens', 'create', '--name', 'early'], env);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /there is no org yet/);
    assert.match(res.stderr, /orgs create NAME/);
  });

  it('orgs create and orgs list', async () => {
    const created = await runCli(['orgs', 'create', 'Acme', 'Corp'], env);
    assert.equal(created.code, 0, created.stderr);
    orgId = /Created org (00o[A-Za-z0-9]{17}) "Acme Corp"/.exec(created.stdout)?.[1] ?? '';
    assert.ok(orgId, created.stdout);
    const second = await runCli(['orgs', 'create', 'Globex'], env);
    secondOrgId = /Created org (00o[A-Za-z0-9]{17})/.exec(second.stdout)?.[1] ?? '';
    assert.ok(secondOrgId, second.stdout);

    const listed = await runCli(['orgs', 'list'], env);
    assert.equal(listed.code, 0, listed.stderr);
    const rows = listed.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split('\t'));
    assert.deepEqual(
      rows.map((r) => [r[0], r[2]]),
      [
        [orgId, 'Acme Corp'],
        [secondOrgId, 'Globex'],
      ],
    );
  });

  it('tokens create prints the secret once; only its hash is stored, with the scopes and expiry asked for', async () => {
    const startedAt = Date.now();
    const res = await runCli(
      [
        'tokens',
        'create',
        '--name',
        'ci deploys',
        '--org',
        secondOrgId,
        '--scopes',
        'okta.emailServers.read',
        '--expires-in-days',
        '30',
      ],
      env,
    );
    assert.equal(res.code, 0, res.stderr);
    tokenId = /Created API token (00T[A-Za-z0-9]{17})/.exec(res.stdout)?.[1] ?? '';
    secret = /^ {2}(00[A-Za-z0-9_-]{40})$/m.exec(res.stdout)?.[1] ?? '';
    assert.ok(tokenId && secret, res.stdout);
    assert.match(res.stdout, /Authorization: SSWS /);

    const token = await storedToken(dataDir, secret);
    assert.ok(token, 'the printed secret does not match a stored token');
    assert.equal(token.id, tokenId);
    assert.equal(token.orgId, secondOrgId);
    assert.equal(token.name, 'ci deploys');
    assert.deepEqual(token.scopes, ['okta.emailServers.read']);
    assert.ok(token.expiresAt! >= startedAt + 30 * 86_400_000 && token.expiresAt! <= Date.now() + 30 * 86_400_000);

    for (const file of fs.readdirSync(dataDir)) {
      const bytes = fs.readFileSync(path.join(dataDir, file));
      assert.equal(bytes.includes(secret), false, `the token secret is stored in plaintext in ${file}`);
    }
  });

  it('tokens create without --org uses the first org and gives an unrestricted token', async () => {
    const res = await runCli(['tokens', 'create', '--name', 'admin'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /Scopes: all \(admin\)/);
    assert.match(res.stdout, /Expires: never/);
    const adminSecret = /^ {2}(00[A-Za-z0-9_-]{40})$/m.exec(res.stdout)?.[1] ?? '';
    const token = await storedToken(dataDir, adminSecret);
    assert.equal(token?.orgId, orgId);
    assert.equal(token?.scopes, null);
  });

  it('tokens list shows every token without any secret', async () => {
    const res = await runCli(['tokens', 'list'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.ok(!res.stdout.includes(secret));
    const rows = res.stdout.trim().split('\n');
    assert.deepEqual(rows[0].split('\t'), ['ID', 'ORG', 'STATUS', 'SCOPES', 'CREATED', 'EXPIRES', 'LAST USED', 'NAME']);
    const ci = rows.map((r) => r.split('\t')).find((r) => r[0] === tokenId);
    assert.ok(ci, res.stdout);
    assert.deepEqual([ci[1], ci[2], ci[3], ci[7]], [secondOrgId, 'active', 'okta.emailServers.read', 'ci deploys']);

    const filtered = await runCli(['tokens', 'list', '--org', orgId], env);
    assert.deepEqual(
      filtered.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((r) => r.split('\t')[1]),
      [orgId],
    );
  });

  it('tokens revoke revokes; a second revoke and an unknown id fail', async () => {
    const res = await runCli(['tokens', 'revoke', tokenId], env);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`Revoked API token ${tokenId}`));
    assert.notEqual((await storedToken(dataDir, secret))?.revokedAt, null);

    const listed = await runCli(['tokens', 'list'], env);
    assert.equal(
      listed.stdout
        .split('\n')
        .find((r) => r.startsWith(tokenId))
        ?.split('\t')[2],
      'revoked',
    );

    const again = await runCli(['tokens', 'revoke', tokenId], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no active API token/);
    assert.equal((await runCli(['tokens', 'revoke', '00TnotATokenId000000'], env)).code, 1);
  });

  it('an unknown --org is a failure (exit 1), not a usage error', async () => {
    const res = await runCli(['tokens', 'create', '--name', 'x', '--org', '00oDoesNotExist00000'], env);
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /no org with id 00oDoesNotExist00000/);
    assert.doesNotMatch(res.stderr, /Usage:/);
  });

  it('--expires-in-days: the message states the range it enforces (0 refused, a fraction accepted)', async () => {
    const zero = await runCli(['tokens', 'create', '--name', 'x', '--expires-in-days', '0'], env);
    assert.equal(zero.code, 2, zero.stderr);
    assert.match(zero.stderr, /--expires-in-days must be a number of days greater than 0 and at most 3650/);
    const half = await runCli(['tokens', 'create', '--name', 'half a day', '--expires-in-days', '0.5'], env);
    assert.equal(half.code, 0, half.stderr);
    const expires = Date.parse(/Expires: (\S+)/.exec(half.stdout)?.[1] ?? '');
    assert.ok(Math.abs(expires - (Date.now() + 43_200_000)) < 60_000, half.stdout);
  });

  it('refuses bad input with usage help and exit code 2', async () => {
    const cases: string[][] = [
      ['tokens', 'create'],
      ['tokens', 'create', '--name', 'x', '--scopes', 'okta.users.manage'],
      ['tokens', 'create', '--name', 'x', '--expires-in-days', 'soon'],
      ['tokens', 'create', '--name', 'x', '--expires-in-days', '-1'],
      ['tokens', 'create', '--name', 'x', '--unknown-flag'],
      ['tokens', 'revoke'],
      ['tokens', 'launch'],
      ['orgs', 'create'],
      ['frobnicate'],
      [],
    ];
    // One at a time: ten CLI starts at once can outlast the child timeout on a busy machine.
    for (const args of cases) {
      const res = await runCli(args, env);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stdout} ${res.stderr}`);
      assert.match(`${res.stdout}${res.stderr}`, /Usage: npm run cli --/, args.join(' '));
    }
  });
});
