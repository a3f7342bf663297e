import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mailboxProblem } from '../../src/smtp/address.ts';

describe('RFC 5321 mailbox syntax', () => {
  it('accepts dot-strings, quoted local parts, single-label domains and address literals', () => {
    for (const address of [
      'admin@example.com',
      "o'brien+tag@mail.example.co.uk",
      '"john doe"@example.com',
      'postmaster@localhost',
      'user@[192.0.2.1]',
      'user@[IPv6:2001:db8::1]',
      `${'a'.repeat(64)}@example.com`,
    ]) {
      assert.equal(mailboxProblem(address), undefined, address);
    }
  });

  it('refuses the rest with a reason', () => {
    for (const address of [
      '',
      'plain',
      '@example.com',
      'user@',
      'a..b@example.com',
      '.a@example.com',
      'user@-example.com',
      'user@exa_mple.com',
      'user@example..com',
      'user name@example.com',
      'user@[300.1.1.1]',
      'a@b.com\r\nRCPT TO:<x@y.z>',
      'a@b.com\n',
      `${'a'.repeat(65)}@example.com`,
      `x@${'d'.repeat(250)}.com`,
      'ünïcode@example.com',
    ]) {
      assert.ok(mailboxProblem(address), JSON.stringify(address));
    }
    assert.match(mailboxProblem('a@b.com\r\nX')!, /CR or LF/);
  });
});
