import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { openContent } from '../../src/delivery/message-content.ts';
import { openRuntime, type Runtime } from '../../src/runtime.ts';
import { KEY_FILE_NAME } from '../../src/secrets/keyring.ts';
import { sealNotificationContent } from '../../src/secrets/notification-content.ts';
import { type KeyRotationReport, rotateKeys } from '../../src/secrets/rotate-keys.ts';
import { SecretDecryptionError } from '../../src/secrets/secret-box.ts';
import { openServerSecret, sealServerSecret } from '../../src/secrets/server-secrets.ts';
import type { EmailServerRecord } from '../../src/store/store.ts';
import { runCli, tempDataDir } from '../cli/run-cli.ts';
import { waitFor, welcome } from '../delivery/delivery-helpers.ts';
import { createDatabase } from '../helpers/postgres-cluster.ts';

/** With TEST_DATABASE_URL, a suite's runtimes and CLI runs share a fresh PostgreSQL database instead of SQLite. */
async function addDatabase(env: Record<string, string>): Promise<void> {
  if (process.env.TEST_DATABASE_URL) env.DATABASE_URL = await createDatabase(process.env.TEST_DATABASE_URL);
}

const newKey = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

async function withRuntime<T>(env: Record<string, string>, use: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await openRuntime(loadConfig(env));
  try {
    return await use(runtime);
  } finally {
    await runtime.close();
  }
}

async function ensureOrg(runtime: Runtime): Promise<string> {
  const [org] = await runtime.services.orgs.list();
  if (org) return org.id;
  return (await runtime.services.orgs.create('rotation')).id;
}

async function addServers(runtime: Runtime, passwords: string[]): Promise<void> {
  const orgId = await ensureOrg(runtime);
  for (const [i, password] of passwords.entries()) {
    await runtime.services.emailServers.create(orgId, {
      alias: `s${i}`,
      host: `smtp${i}.example.com`,
      port: 587,
      username: `user${i}`,
      password,
    });
  }
}

/** Every server's password as the runtime's keyring opens it, with the key id it is sealed under. */
async function openAll(
  runtime: Runtime,
): Promise<Array<{ record: EmailServerRecord; password: string; keyId: string | undefined }>> {
  const { secretBox, store } = runtime;
  return (await store.emailServers.listAll()).map((record) => ({
    record,
    password: openServerSecret(secretBox, record, 'password', record.passwordSealed!),
    keyId: secretBox.keyIdOf(record.passwordSealed!),
  }));
}

/** The report with each failure list reduced to its length, for exact comparison. */
function summary(report: KeyRotationReport) {
  const counted = <T extends { failed: unknown[] }>(section: T) => ({ ...section, failed: section.failed.length });
  return { keyId: report.keyId, serverSecrets: counted(report.serverSecrets), content: counted(report.content) };
}

const sortedPasswords = (rows: Array<{ password: string }>) => rows.map((r) => r.password).sort();

describe('key rotation with the key file in the data directory', () => {
  const dataDir = tempDataDir();
  const env: Record<string, string> = { MAILROUTE_DATA_DIR: dataDir };
  before(() => addDatabase(env));
  const keyFile = path.join(dataDir, KEY_FILE_NAME);
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  let firstKeyId: string;
  let firstCiphertexts: EmailServerRecord[];

  it('generates the key file once, mode 0600, and keeps it on the next start', async () => {
    await withRuntime(env, async (runtime) => {
      assert.equal(runtime.generatedKeyFile, keyFile);
      firstKeyId = runtime.secretBox.currentKeyId;
      await addServers(runtime, ['pw-a', 'pw-b', 'pw-c']);
      firstCiphertexts = await runtime.store.emailServers.listAll();
    });
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    const content = fs.readFileSync(keyFile, 'utf8');
    assert.equal(content.trim().split('\n').length, 1);
    await withRuntime(env, async (runtime) => {
      assert.equal(runtime.generatedKeyFile, undefined);
      assert.equal(runtime.secretBox.currentKeyId, firstKeyId);
    });
    assert.equal(fs.readFileSync(keyFile, 'utf8'), content);
  });

  let secondKeyId: string;

  it('`keys rotate` appends a key and re-encrypts every password under it', async () => {
    const before = fs.readFileSync(keyFile, 'utf8');
    const res = await runCli(['keys', 'rotate'], env);
    assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
    secondKeyId = /Added encryption key (\S+) to /.exec(res.stdout)?.[1] ?? '';
    assert.ok(secondKeyId && secondKeyId !== firstKeyId, res.stdout);
    assert.match(res.stdout, /Stored secrets: 3; re-encrypted: 3; already under \S+: 0; failed: 0/);

    const after = fs.readFileSync(keyFile, 'utf8');
    assert.ok(after.startsWith(before), 'the old key must stay in the file');
    assert.equal(after.trim().split('\n').length, 2);
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);

    await withRuntime(env, async (runtime) => {
      assert.equal(runtime.secretBox.currentKeyId, secondKeyId);
      const rows = await openAll(runtime);
      assert.deepEqual(sortedPasswords(rows), ['pw-a', 'pw-b', 'pw-c']);
      assert.deepEqual(new Set(rows.map((r) => r.keyId)), new Set([secondKeyId]));
      // Rotation is not an edit: the configuration's timestamps stay.
      for (const row of rows)
        assert.equal(row.record.updatedAt, firstCiphertexts.find((r) => r.id === row.record.id)?.updatedAt);
    });
  });

  it('older ciphertexts still decrypt, and new writes use the newest key', async () => {
    await withRuntime(env, async (runtime) => {
      const { secretBox } = runtime;
      for (const old of firstCiphertexts) {
        assert.equal(secretBox.keyIdOf(old.passwordSealed!), firstKeyId);
        assert.match(openServerSecret(secretBox, old, 'password', old.passwordSealed!), /^pw-[abc]$/);
      }
      await addServers(runtime, ['pw-d']);
      const rows = await openAll(runtime);
      assert.equal(rows.find((r) => r.password === 'pw-d')?.keyId, secondKeyId);
    });
  });

  it('a second rotation moves everything again; then the old keys can be dropped', async () => {
    const res = await runCli(['keys', 'rotate'], env);
    assert.equal(res.code, 0, res.stderr);
    const thirdKeyId = /Added encryption key (\S+) to /.exec(res.stdout)?.[1] ?? '';
    assert.match(res.stdout, /Stored secrets: 4; re-encrypted: 4;/);

    // The operator removes every key but the newest: all passwords still open.
    const lines = fs.readFileSync(keyFile, 'utf8').trim().split('\n');
    assert.equal(lines.length, 3);
    fs.writeFileSync(keyFile, `${lines[2]}\n`, { mode: 0o600 });
    await withRuntime(env, async (runtime) => {
      assert.equal(runtime.secretBox.currentKeyId, thirdKeyId);
      assert.deepEqual(sortedPasswords(await openAll(runtime)), ['pw-a', 'pw-b', 'pw-c', 'pw-d']);
      // …while a ciphertext from before the rotations no longer does.
      assert.throws(
        () => openServerSecret(runtime.secretBox, firstCiphertexts[0], 'password', firstCiphertexts[0].passwordSealed!),
        SecretDecryptionError,
      );
    });
  });
});

describe('key rotation with keys from MAILROUTE_ENCRYPTION_KEYS', () => {
  const dataDir = tempDataDir();
  const storage: Record<string, string> = { MAILROUTE_DATA_DIR: dataDir };
  before(() => addDatabase(storage));
  const k1 = newKey('k1');
  const k2 = newKey('k2');
  // Seals the OAuth secrets of one test and is still needed to open the runtime in the next.
  const k6 = newKey('k6');
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('writes under the last listed key, reads under any, and `keys rotate` re-encrypts under the last', async () => {
    await withRuntime({ ...storage, MAILROUTE_ENCRYPTION_KEYS: k1 }, async (runtime) => {
      assert.equal(runtime.keyFile, undefined);
      await addServers(runtime, ['env-1', 'env-2']);
    });
    await withRuntime({ ...storage, MAILROUTE_ENCRYPTION_KEYS: `${k1},${k2}` }, async (runtime) => {
      await addServers(runtime, ['env-3']);
      const rows = await openAll(runtime);
      assert.deepEqual(rows.map((r) => [r.password, r.keyId]).sort(), [
        ['env-1', 'k1'],
        ['env-2', 'k1'],
        ['env-3', 'k2'],
      ]);
    });

    const res = await runCli(['keys', 'rotate'], {
      ...storage,
      MAILROUTE_ENCRYPTION_KEYS: `${k1},${k2}`,
    });
    assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
    assert.match(res.stdout, /re-encrypting under its last key, k2/);
    assert.match(res.stdout, /Stored secrets: 3; re-encrypted: 2; already under k2: 1; failed: 0/);
    assert.equal(
      fs.existsSync(path.join(dataDir, KEY_FILE_NAME)),
      false,
      'no key file may appear when keys come from the environment',
    );

    // k1 can now be removed from the setting.
    await withRuntime({ ...storage, MAILROUTE_ENCRYPTION_KEYS: k2 }, async (runtime) => {
      const rows = await openAll(runtime);
      assert.deepEqual(sortedPasswords(rows), ['env-1', 'env-2', 'env-3']);
      assert.deepEqual(new Set(rows.map((r) => r.keyId)), new Set(['k2']));
    });
  });

  it('re-encrypts OAuth client secrets and private keys too, each under its own context', async () => {
    const k5 = newKey('k5');
    let serverId = '';
    // The earlier servers stay under k2: a runtime refuses to open without every key the data names.
    await withRuntime({ ...storage, MAILROUTE_ENCRYPTION_KEYS: `${k2},${k5}` }, async (runtime) => {
      const { store, secretBox, ids } = runtime;
      const orgId = await ensureOrg(runtime);
      const base = {
        id: ids.emailServer(),
        orgId,
        alias: 'oauth',
        host: 'smtp.oauth.example',
        port: 587,
        username: 'sender@example.com',
      };
      const oauth = { tokenEndpoint: 'https://login.example.com/token', clientId: 'client-1' };
      const record = {
        ...base,
        ...oauth,
        authType: 'BASIC_SMTP_AUTH',
        passwordSealed: null,
        clientSecretSealed: sealServerSecret(secretBox, { ...base, ...oauth }, 'clientSecret', 'client-secret-value'),
        privateKeySealed: sealServerSecret(secretBox, { ...base, ...oauth }, 'privateKey', 'private-key-pem'),
        enabled: false,
        tlsMode: null,
        caCertificate: null,
        createdAt: Date.now(),
        updatedAt: Date.now(),
      } as EmailServerRecord;
      await store.emailServers.create(record, 1000);
      serverId = record.id;
    });
    const res = await runCli(['keys', 'rotate'], {
      ...storage,
      MAILROUTE_ENCRYPTION_KEYS: `${k2},${k5},${k6}`,
    });
    assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
    assert.match(res.stdout, /re-encrypted: 5; already under k6: 0; failed: 0/);
    await withRuntime({ ...storage, MAILROUTE_ENCRYPTION_KEYS: k6 }, async (runtime) => {
      const { store, secretBox } = runtime;
      const record = (await store.emailServers.listAll()).find((r) => r.id === serverId)!;
      assert.equal(secretBox.keyIdOf(record.clientSecretSealed!), 'k6');
      assert.equal(secretBox.keyIdOf(record.privateKeySealed!), 'k6');
      assert.equal(
        openServerSecret(secretBox, record, 'clientSecret', record.clientSecretSealed!),
        'client-secret-value',
      );
      assert.equal(openServerSecret(secretBox, record, 'privateKey', record.privateKeySealed!), 'private-key-pem');
      assert.equal(record.passwordSealed, null);
    });
  });

  it('reports secrets it cannot open (their key is missing) and exits 1, leaving them untouched', async () => {
    const k3 = newKey('k3');
    await withRuntime({ ...storage, MAILROUTE_ENCRYPTION_KEYS: `${k6},${k3}` }, async (runtime) => {
      await addServers(runtime, ['under-k3']);
    });
    const res = await runCli(['keys', 'rotate'], {
      ...storage,
      MAILROUTE_ENCRYPTION_KEYS: `${k2},${newKey('k4')}`,
    });
    assert.equal(res.code, 1, res.stdout);
    // The OAuth server's two secrets are under k6, which this keyring lacks too.
    assert.match(res.stdout, /Stored secrets: 6; re-encrypted: 0; already under k4: 0; failed: 6/);
    assert.match(res.stdout, /could not re-encrypt the password of server ces\w{17} \(org 00o\w{17}, key k3\)/);
    assert.ok(!res.stdout.includes('under-k3'));
    await withRuntime({ ...storage, MAILROUTE_ENCRYPTION_KEYS: `${k6},${k3}` }, async (runtime) => {
      const record = (await runtime.store.emailServers.listAll()).find(
        (r) => r.passwordSealed && runtime.secretBox.keyIdOf(r.passwordSealed) === 'k3',
      );
      assert.ok(record);
      assert.equal(openServerSecret(runtime.secretBox, record, 'password', record.passwordSealed!), 'under-k3');
    });
  });
});

const quietLog = { debug() {}, warn() {}, error() {} };

describe('key rotation of queued notification content', () => {
  const dataDir = tempDataDir();
  const storage: Record<string, string> = { MAILROUTE_DATA_DIR: dataDir };
  before(() => addDatabase(storage));
  const k1 = newKey('k1');
  const k2 = newKey('k2');
  const k3 = newKey('k3');
  const env = (keys: string) => ({
    ...storage,
    MAILROUTE_ENCRYPTION_KEYS: keys,
    MAILROUTE_DELIVERY_POLL_MS: '50',
  });
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  let orgId = '';
  const queued: string[] = [];

  it('`keys rotate` re-encrypts every queued message under the newest key; the old key can go and the mail is still delivered', async () => {
    await withRuntime(env(k1), async (runtime) => {
      orgId = await ensureOrg(runtime);
      await addServers(runtime, ['content-test']);
      for (const name of ['Ada', 'Grace', 'Edsger']) {
        const { message } = await runtime.services.notifications.submit(
          orgId,
          welcome(`${name.toLowerCase()}@example.com`, {
            variables: { firstName: name, orgName: 'Example', loginUrl: 'https://login.example.com/' },
          }),
        );
        queued.push(message.id);
      }
    });

    const res = await runCli(['keys', 'rotate'], env(`${k1},${k2}`));
    assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
    assert.match(
      res.stdout,
      /Stored secrets: 1; re-encrypted: 1; already under k2: 0; failed: 0; changed meanwhile \(left as written\): 0/,
    );
    assert.match(
      res.stdout,
      /Notification content: 3; re-encrypted: 3; already under k2: 0; failed: 0; purged or changed meanwhile \(left as written\): 0/,
    );

    // k1 is dropped: every queued message still opens, under k2, bound to its own org and id.
    await withRuntime(env(k2), async (runtime) => {
      const { store, secretBox, delivery } = runtime;
      for (const [i, id] of queued.entries()) {
        const message = await store.outbox.get(orgId, id);
        assert.equal(message?.status, 'queued');
        assert.equal(secretBox.keyIdOf(message.content!), 'k2');
        assert.equal(
          openContent(secretBox, orgId, id, message.content!).text.includes(['Ada', 'Grace', 'Edsger'][i]),
          true,
        );
        // Bound to its message: another message's id does not open it.
        assert.throws(
          () => openContent(secretBox, orgId, queued[(i + 1) % queued.length], message.content!),
          (error: Error) => error.cause instanceof SecretDecryptionError,
        );
      }

      // The worker delivers them (to the capture directory: no default SMTP server is set).
      const worker = delivery.createWorker(quietLog);
      worker.start();
      try {
        for (const id of queued) {
          const sent = await waitFor(`message ${id} to be sent`, async () => {
            const message = await store.outbox.get(orgId, id);
            return message?.status === 'sent'
              ? message
              : message?.status === 'failed'
                ? assert.fail(`${id} failed: ${message.lastReply}`)
                : undefined;
          });
          const eml = fs.readFileSync(
            path.join(dataDir, 'captured-mail', `${sent.messageIdHeader.replace(/[<>]/g, '')}.eml`),
            'utf8',
          );
          assert.match(eml, /Ada|Grace|Edsger/);
        }
      } finally {
        await worker.stop(2000);
      }
    });
  });

  it('works in batches: a small batch size still reaches every message, and a second run finds all current', async () => {
    const ids: string[] = [];
    await withRuntime(env(k2), async (runtime) => {
      for (let i = 0; i < 7; i++)
        ids.push((await runtime.services.notifications.submit(orgId, welcome(`batch${i}@example.com`))).message.id);
    });
    await withRuntime(env(`${k2},${k3}`), async (runtime) => {
      const { store, secretBox } = runtime;
      const reads: number[] = [];
      const outbox = {
        listSealedContent: async (limit: number, afterId?: string) => {
          const batch = await store.outbox.listSealedContent(limit, afterId);
          reads.push(batch.length);
          return batch;
        },
        replaceContent: store.outbox.replaceContent.bind(store.outbox),
      };
      const report = await rotateKeys({ emailServers: store.emailServers, outbox, secretBox, contentBatchSize: 3 });
      // The three sent messages had their content purged on delivery: only the seven new ones remain.
      assert.deepEqual(summary(report), {
        keyId: 'k3',
        serverSecrets: { examined: 1, reencrypted: 1, current: 0, skipped: 0, failed: 0 },
        content: { examined: 7, reencrypted: 7, current: 0, skipped: 0, failed: 0 },
      });
      assert.deepEqual(reads, [3, 3, 1]);
      for (const id of ids) {
        const message = await store.outbox.get(orgId, id);
        assert.equal(secretBox.keyIdOf(message!.content!), 'k3');
        assert.equal(openContent(secretBox, orgId, id, message!.content!).subject.length > 0, true);
      }
      const again = await rotateKeys({
        emailServers: store.emailServers,
        outbox: store.outbox,
        secretBox,
        contentBatchSize: 3,
      });
      assert.deepEqual(summary(again), {
        keyId: 'k3',
        serverSecrets: { examined: 1, reencrypted: 0, current: 1, skipped: 0, failed: 0 },
        content: { examined: 7, reencrypted: 0, current: 7, skipped: 0, failed: 0 },
      });
    });
  });

  it('a message re-sealed between the read and the write keeps the newer content (counted as skipped)', async () => {
    const k4 = newKey('k4');
    let raced = '';
    await withRuntime(env(`${k3}`), async (runtime) => {
      raced = (await runtime.services.notifications.submit(orgId, welcome('race@example.com'))).message.id;
    });
    // Under k3,k4 every queued message (the seven from before and the raced one) is due for rotation.
    await withRuntime(env(`${k3},${k4}`), async (runtime) => {
      const { store, secretBox } = runtime;
      const original = (await store.outbox.get(orgId, raced))!;
      let written = '';
      const outbox = {
        listSealedContent: async (limit: number, afterId?: string) => {
          const batch = await store.outbox.listSealedContent(limit, afterId);
          const read = batch.find((m) => m.id === raced);
          if (read) {
            // Another writer replaces the content after rotation read it.
            written = sealNotificationContent(
              secretBox,
              read,
              JSON.stringify({ subject: 'newer', text: 'newer', html: '<p>newer</p>' }),
            );
            assert.deepEqual(
              [...(await store.outbox.replaceContent([{ orgId, id: raced, expected: read.content, next: written }]))],
              [raced],
            );
          }
          return batch;
        },
        replaceContent: store.outbox.replaceContent.bind(store.outbox),
      };
      const report = await rotateKeys({ emailServers: store.emailServers, outbox, secretBox });
      assert.deepEqual(summary(report).content, { examined: 8, reencrypted: 7, current: 0, skipped: 1, failed: 0 });
      const after = (await store.outbox.get(orgId, raced))!;
      assert.notEqual(after.content, original.content);
      assert.equal(after.content, written);
      assert.equal(openContent(secretBox, orgId, raced, after.content!).subject, 'newer');
    });
  });
});

describe('key rotation of server secrets racing an edit', () => {
  const dataDir = tempDataDir();
  const storage: Record<string, string> = { MAILROUTE_DATA_DIR: dataDir };
  before(() => addDatabase(storage));
  const k1 = newKey('k1');
  const k2 = newKey('k2');
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('a password changed between the read and the write is not overwritten with the re-encrypted old one', async () => {
    await withRuntime({ ...storage, MAILROUTE_ENCRYPTION_KEYS: k1 }, async (runtime) => {
      await addServers(runtime, ['old-a', 'old-b']);
    });
    await withRuntime({ ...storage, MAILROUTE_ENCRYPTION_KEYS: `${k1},${k2}` }, async (runtime) => {
      const {
        store,
        secretBox,
        services: { emailServers },
      } = runtime;
      const emailServerStore = {
        // The read happens, then a PATCH lands (the real use case), then the rotation writes.
        listAll: async () => {
          const servers = await store.emailServers.listAll();
          const edited = servers.find((s) => s.alias === 's0')!;
          await emailServers.update(edited.orgId, edited.id, { password: 'patched-during-rotation' });
          return servers;
        },
        replaceSecret: store.emailServers.replaceSecret.bind(store.emailServers),
      };
      const report = await rotateKeys({ emailServers: emailServerStore, outbox: store.outbox, secretBox });
      assert.deepEqual(summary(report), {
        keyId: 'k2',
        serverSecrets: { examined: 2, reencrypted: 1, current: 0, skipped: 1, failed: 0 },
        content: { examined: 0, reencrypted: 0, current: 0, skipped: 0, failed: 0 },
      });
    });
    await withRuntime({ ...storage, MAILROUTE_ENCRYPTION_KEYS: k2 }, async (runtime) => {
      const rows = await openAll(runtime);
      assert.deepEqual(sortedPasswords(rows), ['old-b', 'patched-during-rotation']);
      assert.deepEqual(new Set(rows.map((r) => r.keyId)), new Set(['k2']));
    });
  });
});
