import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SecretBox } from '../../src/secrets/secret-box.ts';
import { runSmtpSession } from '../../src/smtp/check/smtp-session.ts';
import { createDnsResolver } from '../../src/smtp/dns-resolver.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { smtpCommandLog } from '../helpers/smtp-command-log.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { startTarpitServer, type TarpitServer } from '../helpers/tarpit-smtp.ts';

/** The staged session's DATA stage (what /test sends), against real servers on 127.0.0.1. */
describe('the staged session sends a message with DATA', () => {
  let relay: TestSmtpServer;
  let refusing: TestSmtpServer;
  const log = smtpCommandLog();
  const deps = {
    secretBox: new SecretBox({ keys: new Map([['k1', randomBytes(32)]]), currentKeyId: 'k1' }),
    settings: {
      connectionTimeoutMs: 5000,
      greetingTimeoutMs: 5000,
      socketTimeoutMs: 5000,
      dnsTimeoutMs: 2000,
      allow: ['127.0.0.1'],
      denyPrivate: true,
      ehloName: undefined,
    },
    dns: createDnsResolver([], 2000),
    now: () => Date.now(),
  } as unknown as Parameters<typeof runSmtpSession>[1];
  const server = (port: number) =>
    ({
      id: 'srv1',
      orgId: 'org1',
      host: '127.0.0.1',
      port,
      username: 'relay',
      authType: 'BASIC_SMTP_AUTH',
      passwordSealed: null,
      tlsMode: 'none',
      caCertificate: null,
    }) as unknown as Parameters<typeof runSmtpSession>[0]['server'];
  const addresses = { fromAddress: 'admin@example.com', toAddress: 'someone@example.org' };

  before(async () => {
    relay = await startSmtpServer({ tls: 'none', options: log.options });
    refusing = await startSmtpServer({
      tls: 'none',
      options: {
        onData(stream, _session, callback) {
          stream.resume();
          stream.on('end', () => callback(Object.assign(new Error('Content refused'), { responseCode: 554 })));
        },
      },
    });
  });
  after(async () => {
    await Promise.all([relay?.close(), refusing?.close()]);
  });

  it('dot-stuffs lines that begin with a dot, sends CRLF line ends, and ends with QUIT', async () => {
    const message = Buffer.from('Subject: dots\n\n.one leading dot\n..two leading dots\n.\nlast line');
    const result = await runSmtpSession({ server: server(relay.port), ...addresses, message }, deps);
    assert.equal(result.failed, undefined, JSON.stringify(result.failed));
    assert.deepEqual(
      result.stages.map((s) => `${s.stage}:${s.outcome}`),
      [
        'dns:passed',
        'connect:passed',
        'greeting:passed',
        'ehlo:passed',
        'auth:skipped',
        'sender:passed',
        'recipient:passed',
        'data:passed',
        'quit:passed',
      ],
    );
    const [received] = await relay.waitForMessages(1);
    assert.equal(
      received.raw.toString('latin1'),
      'Subject: dots\r\n\r\n.one leading dot\r\n..two leading dots\r\n.\r\nlast line\r\n',
    );
    assert.deepEqual([...log.sessions.values()].at(-1), ['EHLO', 'MAIL', 'RCPT', 'DATA', 'QUIT']);
  });

  it('a refused message fails at the data stage with the reply, and the session still ends with QUIT', async () => {
    const message = Buffer.from('Subject: refused\r\n\r\nbody\r\n');
    const result = await runSmtpSession({ server: server(refusing.port), ...addresses, message }, deps);
    assert.equal(result.failed?.stage, 'data');
    assert.equal(result.failed?.diagnosis.stage, 'data');
    assert.match(result.failed?.diagnosis.reply?.text ?? '', /^554/);
    assert.deepEqual(
      result.stages.slice(-2).map((s) => `${s.stage}:${s.outcome}`),
      ['data:failed', 'quit:passed'],
    );
  });

  it('without a message the session resets instead of sending DATA (the check)', async () => {
    const before = relay.messages.length;
    const result = await runSmtpSession({ server: server(relay.port), ...addresses }, deps);
    assert.equal(result.failed, undefined);
    assert.deepEqual(
      result.stages.slice(-2).map((s) => s.stage),
      ['reset', 'quit'],
    );
    assert.equal(relay.messages.length, before);
  });
});

describe('/test ends a session that never finishes at its deadline', () => {
  let t: TestApp;
  let tarpit: TarpitServer;

  before(async () => {
    tarpit = await startTarpitServer({ stall: 'data', dribbleMs: 200 });
    t = await startTestApp({
      MAILROUTE_OUTBOUND_ALLOW: '127.0.0.1',
      MAILROUTE_SMTP_TEST_DEADLINE_MS: '2000',
    });
  });
  after(async () => {
    await t?.close();
    await tarpit?.close();
  });

  it('answers E0000223 with the deadline hint once the message was sent in full and never answered', async () => {
    const created = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: {
        alias: 'tarpit',
        host: '127.0.0.1',
        port: tarpit.port,
        tlsMode: 'none',
        username: 'relay',
        password: '',
      },
    });
    assert.equal(created.status, 201, created.text);
    const res = await t.api(`/api/v1/email-servers/${created.body.id}/test?expand=diagnosis`, {
      method: 'POST',
      body: { fromAddress: 'admin@example.com', toAddress: 'someone@example.org' },
    });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.errorCode, 'E0000223');
    assert.match(res.body.diagnosis.hint, /did not finish within its deadline/);
    assert.equal(tarpit.swallowed, 1);
  });
});
