import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  openNotificationContent,
  resealNotificationContent,
  sealNotificationContent,
} from '../../src/secrets/notification-content.ts';
import { SecretBox, SecretDecryptionError } from '../../src/secrets/secret-box.ts';
import {
  openServerSecret,
  resealServerSecret,
  type SecretDestination,
  sealServerSecret,
} from '../../src/secrets/server-secrets.ts';

const boxOf = (keys: Record<string, Buffer>, currentKeyId: string) =>
  new SecretBox({ keys: new Map(Object.entries(keys)), currentKeyId });
const box = (keyId: string) => boxOf({ [keyId]: randomBytes(32) }, keyId);

const SERVER: SecretDestination = {
  orgId: '00oORG',
  id: 'cesSERVER',
  host: 'smtp.example.com',
  port: 587,
  username: 'mailer',
  tokenEndpoint: 'https://login.example.com/token',
  clientId: 'client-1',
};

describe('server secrets are sealed for one destination', () => {
  const secretBox = box('k1');

  for (const field of ['password', 'clientSecret', 'privateKey'] as const) {
    it(`a ${field} opens for its own server and destination`, () => {
      const sealed = sealServerSecret(secretBox, SERVER, field, `the-${field}`);
      assert.ok(!sealed.includes(`the-${field}`));
      assert.equal(openServerSecret(secretBox, SERVER, field, sealed), `the-${field}`);
      // Host names are case-insensitive: the same destination.
      assert.equal(openServerSecret(secretBox, { ...SERVER, host: 'SMTP.Example.COM' }, field, sealed), `the-${field}`);
    });
  }

  for (const [name, change] of [
    ['org', { orgId: '00oOTHER' }],
    ['server', { id: 'cesOTHER' }],
    ['host', { host: 'relay.example.org' }],
    ['port', { port: 465 }],
    ['username', { username: 'someone-else' }],
  ] as const) {
    it(`no secret opens for another ${name}`, () => {
      for (const field of ['password', 'clientSecret', 'privateKey'] as const) {
        const sealed = sealServerSecret(secretBox, SERVER, field, 'secret');
        assert.throws(
          () => openServerSecret(secretBox, { ...SERVER, ...change }, field, sealed),
          SecretDecryptionError,
        );
      }
    });
  }

  it('OAuth secrets are also bound to the token endpoint and client; passwords are not', () => {
    for (const change of [{ tokenEndpoint: 'https://evil.example/token' }, { clientId: 'client-2' }]) {
      for (const field of ['clientSecret', 'privateKey'] as const) {
        const sealed = sealServerSecret(secretBox, SERVER, field, 'secret');
        assert.throws(
          () => openServerSecret(secretBox, { ...SERVER, ...change }, field, sealed),
          SecretDecryptionError,
        );
      }
      const password = sealServerSecret(secretBox, SERVER, 'password', 'pw');
      assert.equal(openServerSecret(secretBox, { ...SERVER, ...change }, 'password', password), 'pw');
    }
  });

  it('a secret does not open as another field of the same server', () => {
    const sealed = sealServerSecret(secretBox, SERVER, 'clientSecret', 'secret');
    assert.throws(() => openServerSecret(secretBox, SERVER, 'privateKey', sealed), SecretDecryptionError);
    assert.throws(() => openServerSecret(secretBox, SERVER, 'password', sealed), SecretDecryptionError);
  });

  it('keeps the context existing rows were sealed under', () => {
    // Written before the helpers existed: changing the recipe would lock every stored secret out.
    const password = secretBox.seal(
      'pw',
      ['mailroute-email-server-v1', 'password', '00oORG', 'cesSERVER', 'smtp.example.com', 587, 'mailer'].join('\n'),
    );
    assert.equal(openServerSecret(secretBox, SERVER, 'password', password), 'pw');
    const clientSecret = secretBox.seal(
      'cs',
      [
        'mailroute-email-server-v1',
        'clientSecret',
        '00oORG',
        'cesSERVER',
        'smtp.example.com',
        587,
        'mailer',
        'https://login.example.com/token',
        'client-1',
      ].join('\n'),
    );
    assert.equal(openServerSecret(secretBox, SERVER, 'clientSecret', clientSecret), 'cs');
  });

  it('resealing moves a secret to the newest key, still bound to the same destination', () => {
    const keys = { k1: randomBytes(32), k2: randomBytes(32) };
    const before = sealServerSecret(boxOf(keys, 'k1'), SERVER, 'password', 'pw');
    const after = resealServerSecret(boxOf(keys, 'k2'), SERVER, 'password', before);
    const onlyK2 = boxOf({ k2: keys.k2 }, 'k2');
    assert.equal(onlyK2.keyIdOf(after), 'k2');
    assert.equal(openServerSecret(onlyK2, SERVER, 'password', after), 'pw');
    assert.throws(() => openServerSecret(onlyK2, { ...SERVER, port: 25 }, 'password', after), SecretDecryptionError);
    assert.throws(() => openServerSecret(onlyK2, SERVER, 'password', before), SecretDecryptionError);
  });
});

describe('notification content is sealed for one message', () => {
  const secretBox = box('k1');
  const message = { orgId: '00oORG', id: 'msgONE' };
  const content = JSON.stringify({ subject: 'Reset', text: 'https://login.example.com/reset/abc', html: '<p>é ✓</p>' });

  it('round-trips', () => {
    const sealed = sealNotificationContent(secretBox, message, content);
    assert.ok(!sealed.includes('reset/abc'));
    assert.equal(openNotificationContent(secretBox, message, sealed), content);
  });

  it('does not open for another message or another org', () => {
    const sealed = sealNotificationContent(secretBox, message, content);
    assert.throws(
      () => openNotificationContent(secretBox, { ...message, id: 'msgTWO' }, sealed),
      SecretDecryptionError,
    );
    assert.throws(
      () => openNotificationContent(secretBox, { ...message, orgId: '00oOTHER' }, sealed),
      SecretDecryptionError,
    );
  });

  it('is not interchangeable with a server secret', () => {
    const sealed = sealNotificationContent(secretBox, { orgId: SERVER.orgId, id: SERVER.id }, 'x');
    assert.throws(() => openServerSecret(secretBox, SERVER, 'password', sealed), SecretDecryptionError);
  });

  it('keeps the context queued messages were sealed under', () => {
    const sealed = secretBox.seal(content, ['mailroute-notification-v1', 'content', '00oORG', 'msgONE'].join('\n'));
    assert.equal(openNotificationContent(secretBox, message, sealed), content);
  });

  it('resealing moves content to the newest key, still bound to its message', () => {
    const keys = { k1: randomBytes(32), k2: randomBytes(32) };
    const before = sealNotificationContent(boxOf(keys, 'k1'), message, content);
    const after = resealNotificationContent(boxOf(keys, 'k2'), message, before);
    const onlyK2 = boxOf({ k2: keys.k2 }, 'k2');
    assert.equal(onlyK2.keyIdOf(after), 'k2');
    assert.equal(openNotificationContent(onlyK2, message, after), content);
    assert.throws(() => openNotificationContent(onlyK2, { ...message, id: 'msgTWO' }, after), SecretDecryptionError);
  });
});

describe('the secrets module depends on no layer that uses it', () => {
  const dir = fileURLToPath(new URL('../../src/secrets/', import.meta.url));

  it('imports nothing from domain, smtp, delivery or http', () => {
    const files = fs.readdirSync(dir).filter((file) => file.endsWith('.ts'));
    assert.ok(files.length >= 4, files.join(', '));
    for (const file of files) {
      const source = fs.readFileSync(path.join(dir, file), 'utf8');
      const imports = [...source.matchAll(/from '([^']+)'/g)].map((match) => match[1]);
      for (const specifier of imports) {
        assert.doesNotMatch(specifier, /^\.\.\/(domain|smtp|delivery|http)\//, `${file} imports ${specifier}`);
      }
    }
  });
});

describe('sealing draws a fresh nonce each time', () => {
  it('2,000 seals of one text under one key: 2,000 distinct nonces and ciphertexts, each opening to the text', () => {
    const secretBox = box('k1');
    const sealed = Array.from({ length: 2000 }, () => secretBox.seal('same text', 'ctx'));
    // format.keyId.iv.body.tag: more than one pool's worth, so refills are crossed too.
    assert.equal(new Set(sealed.map((value) => value.split('.')[2])).size, 2000);
    assert.equal(new Set(sealed).size, 2000);
    for (const value of sealed) assert.equal(secretBox.open(value, 'ctx'), 'same text');
  });
});
