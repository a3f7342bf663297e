import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AUTH_TYPES } from '../../src/schemas/auth-types.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { assertOktaError } from '../helpers/okta-error.ts';

const VALID = {
  alias: 'Primary',
  host: 'smtp.example.com',
  port: 587,
  username: 'mailer',
  password: 'validation-pw-1',
};

const BLANK = 'The field cannot be left blank';
const NOT_HOST = 'The field must be a hostname or an IP address, without a scheme, port, spaces or control characters';
const PORT_RANGE = 'The field must be between 1 and 65535';
const AUTH_TYPE_ENUM = `The field must be one of: ${AUTH_TYPES.join(', ')}`;

describe('email servers: validation over HTTP → E0000001 with one cause per bad field', () => {
  let t: TestApp;
  let existingId: string;
  before(async () => {
    t = await startTestApp();
    const created = await t.api('/api/v1/email-servers', { method: 'POST', body: VALID });
    assert.equal(created.status, 201);
    existingId = created.body.id;
  });
  after(() => t.close());

  const post = (body: unknown) => t.api('/api/v1/email-servers', { method: 'POST', body });
  const patch = (body: unknown) => t.api(`/api/v1/email-servers/${existingId}`, { method: 'PATCH', body });

  const createCases: Array<[string, Record<string, unknown>, string[]]> = [
    [
      'an empty object: every required field',
      {},
      [`alias: ${BLANK}`, `host: ${BLANK}`, `port: ${BLANK}`, `username: ${BLANK}`, `password: ${BLANK}`],
    ],
    ['a missing password', { ...VALID, password: undefined }, [`password: ${BLANK}`]],
    [
      'a blank alias, host and username',
      { ...VALID, alias: '   ', host: '', username: '' },
      [`alias: ${BLANK}`, `host: ${BLANK}`, `username: ${BLANK}`],
    ],
    ['a blank password', { ...VALID, password: '' }, [`password: ${BLANK}`]],
    ['a string port', { ...VALID, port: '587' }, ['port: The field must be an integer']],
    ['a fractional port', { ...VALID, port: 587.5 }, ['port: The field must be an integer']],
    ['a numeric alias', { ...VALID, alias: 42 }, ['alias: The field must be a string']],
    ['enabled: "yes"', { ...VALID, enabled: 'yes' }, ['enabled: The field must be a boolean']],
    ['port 0', { ...VALID, port: 0 }, [`port: ${PORT_RANGE}`]],
    ['port 65536', { ...VALID, port: 65536 }, [`port: ${PORT_RANGE}`]],
    ['a negative port', { ...VALID, port: -25 }, [`port: ${PORT_RANGE}`]],
    ['a host with a space', { ...VALID, host: 'smtp example.com' }, [`host: ${NOT_HOST}`]],
    ['a host with a scheme', { ...VALID, host: 'smtp://smtp.example.com' }, [`host: ${NOT_HOST}`]],
    ['a host with a port', { ...VALID, host: 'smtp.example.com:587' }, [`host: ${NOT_HOST}`]],
    ['a host with a path', { ...VALID, host: 'smtp.example.com/relay' }, [`host: ${NOT_HOST}`]],
    ['a host with a control character', { ...VALID, host: 'smtp\u0001.example.com' }, [`host: ${NOT_HOST}`]],
    ['a host with CRLF', { ...VALID, host: 'smtp.example.com\r\nRCPT TO:<x@y>' }, [`host: ${NOT_HOST}`]],
    ['a host that is an invalid IPv4', { ...VALID, host: '999.1.1.1' }, [`host: ${NOT_HOST}`]],
    [
      'an alias with a control character',
      { ...VALID, alias: 'a\u0007b' },
      ['alias: The field cannot contain control characters'],
    ],
    [
      'a username with a newline',
      { ...VALID, username: 'user\nname' },
      ['username: The field cannot contain control characters'],
    ],
    [
      'an over-long alias',
      { ...VALID, alias: 'a'.repeat(256) },
      ['alias: The field cannot be longer than 255 characters'],
    ],
    [
      'an over-long host',
      { ...VALID, host: `${'a'.repeat(60)}.`.repeat(5) },
      [`host: The field cannot be longer than 253 characters`],
    ],
    [
      'an over-long username',
      { ...VALID, username: 'u'.repeat(256) },
      ['username: The field cannot be longer than 255 characters'],
    ],
    [
      'an over-long password',
      { ...VALID, password: 'p'.repeat(1025) },
      ['password: The field cannot be longer than 1024 characters'],
    ],
    ['an unsupported authType', { ...VALID, authType: 'NTLM' }, [`authType: ${AUTH_TYPE_ENUM}`]],
    ['a non-string authType', { ...VALID, authType: 1 }, ['authType: The field must be a string']],
    [
      'several bad fields at once: one cause each',
      { alias: 7, host: 'http://x', port: 70000, username: '', password: 'p', enabled: 1 },
      [
        'alias: The field must be a string',
        `host: ${NOT_HOST}`,
        `port: ${PORT_RANGE}`,
        `username: ${BLANK}`,
        'enabled: The field must be a boolean',
      ],
    ],
  ];

  for (const [name, body, causes] of createCases) {
    it(`create refuses ${name}`, async () => {
      const res = await post(body);
      const fields = causes.map((c) => c.split(': ')[0]);
      assertOktaError(res, {
        status: 400,
        errorCode: 'E0000001',
        errorSummary: `Api validation failed: ${fields.join(', ')}`,
        causeFields: fields,
      });
      assert.deepEqual(
        [...res.body.errorCauses.map((c: { errorSummary: string }) => c.errorSummary)].sort(),
        [...causes].sort(),
      );
    });
  }

  const patchCases: Array<[string, Record<string, unknown>, string[]]> = [
    ['a blank alias', { alias: '' }, [`alias: ${BLANK}`]],
    ['a string port', { port: '25', password: 'x' }, ['port: The field must be an integer']],
    ['enabled: "yes"', { enabled: 'yes' }, ['enabled: The field must be a boolean']],
    ['a host with a scheme', { host: 'smtps://mail.example.com', password: 'x' }, [`host: ${NOT_HOST}`]],
    ['an unsupported authType', { authType: 'CRAM_MD5' }, [`authType: ${AUTH_TYPE_ENUM}`]],
  ];
  for (const [name, body, causes] of patchCases) {
    it(`PATCH refuses ${name}`, async () => {
      const res = await patch(body);
      assertOktaError(res, {
        status: 400,
        errorCode: 'E0000001',
        causes,
        causeFields: causes.map((c) => c.split(': ')[0]),
      });
    });
  }

  it('refused requests change nothing', async () => {
    const res = await t.api(`/api/v1/email-servers/${existingId}`);
    const { password: _, ...visible } = VALID;
    assert.deepEqual(res.body['email-servers'][0], { ...visible, id: existingId, enabled: false });
  });

  it('accepts hostnames and IP literals of every form', async () => {
    for (const host of [
      'mail.example.com',
      'localhost',
      'smtp-relay.example.co.uk.',
      '192.168.160.1',
      '::1',
      '[2001:db8::25]',
    ]) {
      const res = await post({ ...VALID, alias: `host ${host}`, host });
      assert.equal(res.status, 201, `${host}: ${res.text}`);
      assert.equal(res.body.host, host);
      assert.equal((await t.api(`/api/v1/email-servers/${res.body.id}`, { method: 'DELETE' })).status, 204);
    }
  });

  it('accepts authType BASIC_SMTP_AUTH and omits it from the response (Okta does)', async () => {
    const res = await post({ ...VALID, alias: 'basic', authType: 'BASIC_SMTP_AUTH' });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(Object.keys(res.body), ['alias', 'host', 'port', 'id', 'username', 'enabled']);
    const patched = await t.api(`/api/v1/email-servers/${res.body.id}`, {
      method: 'PATCH',
      body: { authType: 'BASIC_SMTP_AUTH' },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal((await t.api(`/api/v1/email-servers/${res.body.id}`, { method: 'DELETE' })).status, 204);
  });

  it('ignores unknown properties and never stores them', async () => {
    const marker = `unknown-prop-marker-${Date.now()}`;
    const res = await post({
      ...VALID,
      alias: 'with extras',
      id: 'cesIWantThisId000000',
      extra: marker,
      nested: { marker },
      _links: { self: marker },
    });
    assert.equal(res.status, 201, res.text);
    assert.notEqual(res.body.id, 'cesIWantThisId000000');
    assert.deepEqual(Object.keys(res.body), ['alias', 'host', 'port', 'id', 'username', 'enabled']);
    assert.ok(!res.text.includes(marker));
    const patched = await t.api(`/api/v1/email-servers/${res.body.id}`, {
      method: 'PATCH',
      body: { extra: marker, id: 'cesOther000000000000' },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(patched.body, res.body);
    assert.ok(!(await t.api('/api/v1/email-servers')).text.includes(marker));

    // Nothing of the marker reaches the database file (or its WAL).
    for (const file of fs.readdirSync(t.dataDir)) {
      const bytes = fs.readFileSync(path.join(t.dataDir, file));
      assert.equal(bytes.includes(marker), false, `marker found in ${file}`);
    }
  });
});
