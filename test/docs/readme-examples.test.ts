import assert from 'node:assert/strict';
import fs from 'node:fs';
import { BlockList, isIP } from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../cli/run-cli.ts';
import { startTestApp } from '../helpers/app.ts';

// A reader pastes these: they may reach this machine, and otherwise name only addresses and names
// reserved for documentation, which go nowhere (the destination guard refuses the addresses).
const DOCUMENTATION = new BlockList();
DOCUMENTATION.addSubnet('192.0.2.0', 24, 'ipv4');
DOCUMENTATION.addSubnet('198.51.100.0', 24, 'ipv4');
DOCUMENTATION.addSubnet('203.0.113.0', 24, 'ipv4');
DOCUMENTATION.addSubnet('2001:db8::', 32, 'ipv6');
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function isSafeAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  if (LOOPBACK.has(bare)) return true;
  const family = isIP(bare);
  return family !== 0 && DOCUMENTATION.check(bare, family === 6 ? 'ipv6' : 'ipv4');
}

/** RFC 2606 and RFC 6761 names: reserved, never anybody's server. */
function isDocumentationName(name: string): boolean {
  return /(^|\.)(example\.(com|net|org)|example|test|invalid|localhost)$/i.test(name.replace(/\.$/, ''));
}

function readmeShellExamples(readme: string): string[] {
  return [...readme.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((match) => match[1]);
}

/** Every host, URL, address and mail domain an example names that is not safe to paste. */
function unsafeNames(example: string): string[] {
  const problems: string[] = [];
  for (const [, scheme, authority] of example.matchAll(/\b([a-z][a-z0-9+.-]*):\/\/([^\s"'/]+)/gi)) {
    const host = authority
      .replace(/^[^@]*@/, '')
      .replace(/:\d+$/, '')
      .replace(/:\$\w+$/, '');
    if (!isSafeAddress(host) && !isDocumentationName(host)) problems.push(`${scheme}://${host}`);
  }
  // Stored hosts are connected to: only addresses, so that not even a DNS lookup happens.
  for (const [, host] of example.matchAll(/"host"\s*:\s*"([^"]*)"/g)) {
    if (!isSafeAddress(host)) problems.push(`host ${host}`);
  }
  const withoutUrls = example.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '');
  for (const [, domain] of withoutUrls.matchAll(/[\w.+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})\b/g)) {
    // Captured mail is stored as `<Message-ID>.eml`: the extension is not part of the domain.
    const name = domain.replace(/\.eml$/i, '');
    if (!isDocumentationName(name)) problems.push(`mail domain ${name}`);
  }
  for (const [address] of example.matchAll(/(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])/g)) {
    if (!isSafeAddress(address)) problems.push(`address ${address}`);
  }
  for (const [candidate] of example.matchAll(/(?<![\w:])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])/gi)) {
    if (isIP(candidate) === 6 && !isSafeAddress(candidate)) problems.push(`address ${candidate}`);
  }
  // A server enrolled enabled would take the org's mail; examples enrol disabled.
  for (const [body] of example.matchAll(/\{[^{}]*"host"[^{}]*\}/g)) {
    if (/"enabled"\s*:\s*true/.test(body)) problems.push(`enabled server ${body}`);
  }
  return problems;
}

const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

describe('README shell examples are safe to paste', () => {
  it('name only this machine, $MAILROUTE, or addresses and names reserved for documentation', () => {
    const examples = readmeShellExamples(readme);
    assert.ok(examples.length >= 8, `found ${examples.length} sh blocks`);
    assert.ok(
      examples.some((example) => example.includes('"host":"192.0.2.10"')),
      'the create example uses a documentation address',
    );
    const problems = examples.flatMap((example, i) =>
      unsafeNames(example).map((problem) => `sh block ${i + 1}: ${problem}`),
    );
    assert.deepEqual(problems, []);
  });

  it('the check catches what it is for', () => {
    assert.deepEqual(
      unsafeNames(`curl https://mail.acme.io/x
        -d '{"host":"192.168.160.1","enabled":true}' -d '{"host":"smtp.example.com"}'
        export DATABASE_URL=postgres://u:p@db.internal:5432/db REDIS_URL=redis://10.0.0.5:6379
        echo me@acme.io 8.8.8.8 2a00:1450:4001::1b`),
      [
        'https://mail.acme.io',
        'postgres://db.internal',
        'redis://10.0.0.5',
        'host 192.168.160.1',
        'host smtp.example.com',
        'mail domain acme.io',
        'address 192.168.160.1',
        'address 10.0.0.5',
        'address 8.8.8.8',
        'address 2a00:1450:4001::1b',
        'enabled server {"host":"192.168.160.1","enabled":true}',
      ],
    );
    assert.deepEqual(
      unsafeNames(`curl "$MAILROUTE/x" http://127.0.0.1:8080/y http://[::1]:8080/z https://login.example.com/
        -d '{"host":"2001:db8::10","enabled":false}' admin@example.com ntf1@mailroute.localhost 12:30:00`),
      [],
    );
  });

  it('the /test example shows the answer the service really gives for a documentation address', async () => {
    const example = readmeShellExamples(readme).find((block) => /\/test"?\s*$/m.test(block));
    assert.ok(example, 'no /test example');
    const shown = JSON.parse(
      example
        .split('\n')
        .filter((line) => line.startsWith('# ') && !line.startsWith('# HTTP/'))
        .map((line) => line.slice(2))
        .join(''),
    );
    const t = await startTestApp();
    try {
      const created = await t.api('/api/v1/email-servers', {
        method: 'POST',
        body: { alias: 'CustomServer1', host: '192.0.2.10', port: 587, username: 'aUser', password: 'string' },
      });
      assert.equal(created.body.enabled, false);
      const res = await t.api(`/api/v1/email-servers/${created.body.id}/test`, {
        method: 'POST',
        body: { fromAddress: 'admin@example.com', toAddress: 'me@example.com' },
      });
      assert.equal(res.status, 400);
      const { errorId: _real, ...real } = res.body;
      const { errorId: _shown, ...documented } = shown;
      assert.deepEqual(documented, real);
    } finally {
      await t.close();
    }
  });
});
