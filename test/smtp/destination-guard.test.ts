import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { createDestinationPolicy, DestinationError, resolveDestination } from '../../src/smtp/destination-guard.ts';

// Pure policy checks: nothing here opens a connection, so addresses beyond loopback are safe to name.
describe('destination guard policy', () => {
  const defaults = createDestinationPolicy({ allow: [], denyPrivate: false });

  it('refuses loopback, link-local (cloud metadata), multicast, unspecified and reserved addresses by default', () => {
    for (const address of [
      '127.0.0.1',
      '127.255.0.9',
      '169.254.169.254',
      '0.0.0.0',
      '224.0.0.1',
      '239.255.255.250',
      '255.255.255.255',
      '240.0.0.1',
      '192.0.2.10',
      '198.18.0.1',
      '::1',
      '::',
      'fe80::1',
      'ff02::1',
      '2001:db8::25',
      '::ffff:127.0.0.1',
      '::ffff:a9fe:a9fe',
      '64:ff9b::169.254.169.254',
    ]) {
      assert.equal(defaults.allows(address, address), false, address);
    }
  });

  it('names the rule that refused an address, the narrower rule first', () => {
    const strict = createDestinationPolicy({ allow: [], denyPrivate: true });
    const cases: Array<[string, string]> = [
      ['0.0.0.0', 'unspecified'],
      ['::', 'unspecified'],
      ['127.0.0.1', 'loopback'],
      ['::1', 'loopback'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['169.254.169.254', 'metadata'],
      ['64:ff9b::169.254.169.254', 'translated'],
      ['169.254.1.1', 'link-local'],
      ['fe80::1', 'link-local'],
      ['192.0.2.10', 'documentation'],
      ['198.51.100.7', 'documentation'],
      ['203.0.113.9', 'documentation'],
      ['2001:db8::10', 'documentation'],
      ['224.0.0.1', 'multicast'],
      ['ff02::1', 'multicast'],
      ['240.0.0.1', 'reserved'],
      ['198.18.0.1', 'reserved'],
      ['10.1.2.3', 'private'],
      ['fd12::1', 'private'],
    ];
    for (const [address, rule] of cases) assert.equal(strict.refusal(address, address), rule, address);
    assert.equal(strict.refusal('8.8.8.8', '8.8.8.8'), undefined);
  });

  it('refuses documentation addresses before any lookup, saying which rule refused', async () => {
    let lookups = 0;
    const lookup = async () => {
      lookups++;
      return [{ address: '203.0.114.7', family: 4 }];
    };
    for (const host of ['192.0.2.10', '[2001:db8::10]', '2001:db8::10']) {
      await assert.rejects(
        resolveDestination(host, 587, defaults, { lookup, timeoutMs: 1000 }),
        (error) =>
          error instanceof DestinationError &&
          error.reason === 'refused' &&
          error.rule === 'documentation' &&
          !error.message.includes('documentation'),
      );
    }
    assert.equal(lookups, 0);
    // A name resolving into a refused range names the rule of the refused address.
    await assert.rejects(
      resolveDestination('docs.example', 587, defaults, {
        lookup: async () => [
          { address: '203.0.114.7', family: 4 },
          { address: '169.254.169.254', family: 4 },
        ],
        timeoutMs: 1000,
      }),
      (error) => error instanceof DestinationError && error.rule === 'metadata',
    );
  });

  it('allows public and (by default) private addresses', () => {
    for (const address of [
      '8.8.8.8',
      '203.0.114.1',
      '2a00:1450:4001::1b',
      '10.1.2.3',
      '172.16.0.25',
      '192.168.160.1',
      '100.64.0.1',
      'fd00::25',
    ]) {
      assert.equal(defaults.allows(address, address), true, address);
    }
  });

  it('refuses private ranges when the operator says so', () => {
    const strict = createDestinationPolicy({ allow: [], denyPrivate: true });
    for (const address of ['10.1.2.3', '172.31.255.1', '192.168.1.1', '100.64.0.1', 'fd12::1', '::ffff:10.0.0.1']) {
      assert.equal(strict.allows(address, address), false, address);
    }
    assert.equal(strict.allows('8.8.8.8', '8.8.8.8'), true);
  });

  // Each row would pass as "private" (allowed by default) or "public", yet reaches a metadata service
  // or can carry a loopback/private IPv4 address through a translator.
  const ALWAYS_REFUSED: Array<[string, string]> = [
    ['169.254.169.254', 'AWS, GCP, Azure metadata'],
    ['fd00:ec2::254', 'AWS metadata over IPv6 (inside fc00::/7)'],
    ['100.100.100.200', 'Alibaba Cloud metadata (inside 100.64.0.0/10)'],
    ['::ffff:8.8.8.8', 'IPv4-mapped (::ffff:0:0/96)'],
    ['::ffff:0a00:0001', 'IPv4-mapped 10.0.0.1, hex form'],
    ['64:ff9b::808:808', 'NAT64 well-known prefix (64:ff9b::/96)'],
    ['64:ff9b::10.0.0.1', 'NAT64 well-known prefix, dotted'],
    ['64:ff9b:1::7f00:1', 'NAT64 local-use prefix (64:ff9b:1::/48)'],
    ['64:ff9b:1:ffff::1', 'NAT64 local-use prefix, upper end'],
    ['2002:7f00:1::1', '6to4 embedding 127.0.0.1 (2002::/16)'],
    ['2002:0808:0808::25', '6to4 embedding a public address'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo (2001::/32)'],
  ];

  it('refuses cloud metadata and IPv4-embedding prefixes, even where private ranges are allowed', () => {
    for (const [address, what] of ALWAYS_REFUSED) {
      assert.equal(defaults.allows(address, address), false, `${address}: ${what}`);
    }
    // The ranges around them stay open by default.
    for (const address of ['100.100.100.199', '100.64.0.1', 'fd00:ec2::253', 'fd00::25', '2a00:1450:4001::1b']) {
      assert.equal(defaults.allows(address, address), true, address);
    }
  });

  it('lets the allow-list open one of those specific addresses, and only that one', () => {
    const policy = createDestinationPolicy({
      allow: ['100.100.100.200', 'fd00:ec2::254', '2002:7f00:1::1', '64:ff9b::/96'],
      denyPrivate: false,
    });
    for (const address of ['100.100.100.200', 'fd00:ec2::254', '2002:7f00:1::1', '64:ff9b::808:808']) {
      assert.equal(policy.allows(address, address), true, address);
    }
    for (const address of ['169.254.169.254', '2002:7f00:1::2', '64:ff9b:1::7f00:1', '::ffff:8.8.8.8']) {
      assert.equal(policy.allows(address, address), false, address);
    }
  });

  it('refuses a host name that resolves to a metadata or IPv4-embedding address', async () => {
    for (const [address] of ALWAYS_REFUSED) {
      const lookup = async () => [{ address, family: address.includes(':') ? 6 : 4 }];
      await assert.rejects(
        resolveDestination('innocent.example', 587, defaults, { lookup, timeoutMs: 1000 }),
        (error) => error instanceof DestinationError && error.reason === 'refused',
        address,
      );
    }
  });

  it('lets the allowlist open CIDRs, single addresses and host names', () => {
    const policy = createDestinationPolicy({
      allow: ['127.0.0.1/32', '::1', 'relay.internal', '10.0.0.0/8'],
      denyPrivate: true,
    });
    assert.equal(policy.allows('127.0.0.1', '127.0.0.1'), true);
    assert.equal(policy.allows('127.0.0.2', '127.0.0.2'), false);
    assert.equal(policy.allows('::1', '::1'), true);
    assert.equal(policy.allows('169.254.1.1', 'RELAY.internal.'), true);
    assert.equal(policy.allows('10.9.9.9', '10.9.9.9'), true);
    assert.equal(policy.allows('192.168.1.1', '192.168.1.1'), false);
  });

  it('an allow entry with a port opens only that port; one without opens every port', () => {
    const policy = createDestinationPolicy({
      allow: ['127.0.0.1:2525', '[::1]:25', 'relay.internal:587', '10.0.0.0/8:465', '[fd00::/8]:25', '127.0.0.2'],
      denyPrivate: true,
    });
    assert.equal(policy.allows('127.0.0.1', '127.0.0.1', 2525), true);
    assert.equal(policy.allows('127.0.0.1', '127.0.0.1', 22), false);
    assert.equal(policy.allows('127.0.0.1', '127.0.0.1'), false);
    assert.equal(policy.allows('::1', '::1', 25), true);
    assert.equal(policy.allows('::1', '::1', 26), false);
    assert.equal(policy.allows('169.254.1.1', 'relay.internal', 587), true);
    assert.equal(policy.allows('169.254.1.1', 'relay.internal', 25), false);
    assert.equal(policy.allows('10.1.2.3', '10.1.2.3', 465), true);
    assert.equal(policy.allows('10.1.2.3', '10.1.2.3', 6379), false);
    assert.equal(policy.allows('fd12::1', 'fd12::1', 25), true);
    assert.equal(policy.allows('fd12::1', 'fd12::1', 80), false);
    assert.equal(policy.allows('127.0.0.2', '127.0.0.2', 6379), true);
  });

  it('settings refuse allow entries with a bad port or shape, naming the entry', () => {
    for (const entry of ['127.0.0.1:0', '127.0.0.1:70000', '[::1]x', '::1]:25', 'relay:port', '[relay]:25']) {
      assert.throws(
        () => loadConfig({ MAILROUTE_SMTP_ALLOW: entry }),
        new RegExp(`MAILROUTE_SMTP_ALLOW: "${entry.replace(/[[\]]/g, '\\$&')}"`),
      );
      assert.throws(() => loadConfig({ MAILROUTE_TOKEN_ENDPOINT_ALLOW: entry }), /MAILROUTE_TOKEN_ENDPOINT_ALLOW/);
    }
  });

  it('resolves once and refuses a name when any of its addresses is refused', async () => {
    let lookups = 0;
    const lookup = async () => {
      lookups++;
      return [
        { address: '203.0.114.7', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ];
    };
    await assert.rejects(
      resolveDestination('mixed.example', 587, defaults, { lookup, timeoutMs: 1000 }),
      (error) => error instanceof DestinationError && error.reason === 'refused',
    );
    assert.equal(lookups, 1);
    const vetted = await resolveDestination('mail.example', 587, defaults, {
      lookup: async () => [{ address: '203.0.114.7', family: 4 }],
      timeoutMs: 1000,
    });
    assert.deepEqual(vetted, { host: 'mail.example', address: '203.0.114.7', port: 587, servername: 'mail.example' });
    const literal = await resolveDestination('[2a00:1450:4001::1b]', 25, defaults, { timeoutMs: 1000 });
    assert.equal(literal.address, '2a00:1450:4001::1b');
    assert.equal(literal.servername, undefined);
  });

  it('reports a name that does not resolve as a DNS failure', async () => {
    const lookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    await assert.rejects(
      resolveDestination('nowhere.example', 587, defaults, { lookup, timeoutMs: 1000 }),
      (error) => error instanceof DestinationError && error.reason === 'not_found',
    );
  });

  it('reads MAILROUTE_SMTP_ALLOW and MAILROUTE_SMTP_DENY_PRIVATE, and rejects nonsense', () => {
    const config = loadConfig({
      MAILROUTE_SMTP_ALLOW: ' 127.0.0.1/32, Localhost ,::1/128',
      MAILROUTE_SMTP_DENY_PRIVATE: 'true',
    });
    assert.deepEqual(config.smtp.allow, ['127.0.0.1/32', 'localhost', '::1/128']);
    assert.equal(config.smtp.denyPrivate, true);
    assert.equal(loadConfig({}).smtp.testsInFlightPerOrg, 3);
    assert.throws(() => loadConfig({ MAILROUTE_SMTP_ALLOW: '10.0.0.0/33' }), /MAILROUTE_SMTP_ALLOW/);
    assert.throws(() => loadConfig({ MAILROUTE_SMTP_ALLOW: 'http://x' }), /MAILROUTE_SMTP_ALLOW/);
  });
});
