import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config.ts';
import { addKeyToFile, KEY_FILE_NAME, loadKeyring, parseKeyring } from '../../src/secrets/keyring.ts';
import { MissingKeyError, SecretBox, SecretDecryptionError } from '../../src/secrets/secret-box.ts';
import { tempDataDir } from '../cli/run-cli.ts';

const key = () => randomBytes(32).toString('base64');

describe('keyring and SecretBox', () => {
  it('parses id:base64 pairs; the last is current', () => {
    const keyring = parseKeyring(`a:${key()},\n b:${key()} \n`, 'test');
    assert.deepEqual([...keyring.keys.keys()], ['a', 'b']);
    assert.equal(keyring.currentKeyId, 'b');
  });

  for (const [name, text] of [
    ['an empty setting', ' , '],
    ['a short key', `a:${randomBytes(16).toString('base64')}`],
    ['a missing id', key()],
    ['an id with a dot', `a.b:${key()}`],
    ['a duplicate id', `a:${key()},a:${key()}`],
  ]) {
    it(`refuses ${name} with a ConfigError that does not print the key`, () => {
      assert.throws(
        () => parseKeyring(text, 'MAILROUTE_ENCRYPTION_KEYS'),
        (error) =>
          error instanceof ConfigError &&
          error.message.startsWith('MAILROUTE_ENCRYPTION_KEYS') &&
          (text.length < 20 || !error.message.includes(text.slice(3, 20))),
      );
    });
  }

  it('generates a key file once (mode 0600) and never overwrites it', () => {
    const dataDir = path.join(tempDataDir(), 'nested', 'data');
    try {
      const first = loadKeyring(undefined, dataDir);
      assert.equal(first.generated, true);
      assert.equal(first.file, path.join(dataDir, KEY_FILE_NAME));
      assert.equal(fs.statSync(first.file!).mode & 0o777, 0o600);
      const second = loadKeyring(undefined, dataDir);
      assert.equal(second.generated, false);
      assert.equal(second.keyring.currentKeyId, first.keyring.currentKeyId);
      assert.deepEqual(
        second.keyring.keys.get(second.keyring.currentKeyId),
        first.keyring.keys.get(first.keyring.currentKeyId),
      );
    } finally {
      fs.rmSync(path.dirname(path.dirname(dataDir)), { recursive: true, force: true });
    }
  });

  it('uses no key file when keys come from the setting', () => {
    const dataDir = tempDataDir();
    try {
      const loaded = loadKeyring(`env:${key()}`, dataDir);
      assert.equal(loaded.file, undefined);
      assert.equal(fs.existsSync(path.join(dataDir, KEY_FILE_NAME)), false);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('seals with AES-256-GCM: fresh IV each time, tamper-evident, bound to its context', () => {
    const box = new SecretBox(parseKeyring(`k:${key()}`, 'test'));
    const a = box.seal('hunter2', 'ctx');
    const b = box.seal('hunter2', 'ctx');
    assert.notEqual(a, b);
    assert.ok(!a.includes('hunter2') && !a.includes(Buffer.from('hunter2').toString('base64')));
    assert.equal(box.open(a, 'ctx'), 'hunter2');
    assert.throws(() => box.open(a, 'other ctx'), SecretDecryptionError);
    const parts = a.split('.');
    const body = Buffer.from(parts[3], 'base64url');
    body[0] ^= 1;
    parts[3] = body.toString('base64url');
    assert.throws(() => box.open(parts.join('.'), 'ctx'), SecretDecryptionError);
    assert.throws(() => box.open('not a sealed secret', 'ctx'), SecretDecryptionError);
  });

  it('opens older keys’ ciphertexts and seals under the newest', () => {
    const k1 = `k1:${key()}`;
    const old = new SecretBox(parseKeyring(k1, 'test')).seal('s', 'ctx');
    const rotated = new SecretBox(parseKeyring(`${k1},k2:${key()}`, 'test'));
    assert.equal(rotated.open(old, 'ctx'), 's');
    assert.equal(rotated.keyIdOf(rotated.seal('s', 'ctx')), 'k2');
    assert.equal(rotated.isCurrent(old), false);
    assert.throws(() => new SecretBox(parseKeyring(`k2:${key()}`, 'test')).open(old, 'ctx'), SecretDecryptionError);
  });

  it('re-reads a changed key file when a ciphertext names an unknown key, and forgets the miss once found', () => {
    const dataDir = tempDataDir();
    try {
      const running = loadKeyring(undefined, dataDir);
      const box = new SecretBox(running.keyring, { source: running.source });
      const missed: string[] = [];
      box.onMissingKey((error) => missed.push(error.keyId));

      // What another process (the CLI) seals after appending a key the running box has not read.
      addKeyToFile(running.file!);
      const rotated = loadKeyring(undefined, dataDir);
      const sealed = new SecretBox(rotated.keyring).seal('hello', 'ctx');
      assert.equal(box.open(sealed, 'ctx'), 'hello');
      assert.equal(box.currentKeyId, rotated.keyring.currentKeyId, 'new writes use the newest key');

      const goneKey = randomBytes(32);
      const foreign = new SecretBox({ keys: new Map([['gone', goneKey]]), currentKeyId: 'gone' });
      const lost = foreign.seal('x', 'ctx');
      for (let i = 0; i < 3; i++) {
        assert.throws(
          () => box.open(lost, 'ctx'),
          (error) =>
            error instanceof MissingKeyError && error.keyId === 'gone' && error.message.includes(running.file!),
        );
      }
      assert.deepEqual(missed, ['gone'], 'reported once');
      assert.deepEqual(box.missingKeyIds(), ['gone']);

      fs.appendFileSync(running.file!, `gone:${goneKey.toString('base64')}\n`);
      assert.equal(box.open(lost, 'ctx'), 'x');
      assert.deepEqual(box.missingKeyIds(), []);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('with environment keys, a missing key says the instance must be given it', () => {
    const box = new SecretBox(parseKeyring(`a:${key()}`, 'MAILROUTE_ENCRYPTION_KEYS'));
    const other = new SecretBox(parseKeyring(`b:${key()}`, 'test'));
    assert.throws(
      () => box.open(other.seal('x', 'ctx'), 'ctx'),
      (error) =>
        error instanceof MissingKeyError &&
        /"b" is not in this instance's MAILROUTE_ENCRYPTION_KEYS: give this instance that key/.test(error.message),
    );
  });
});
