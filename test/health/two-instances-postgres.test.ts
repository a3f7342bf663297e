import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SMTPServerAuthentication, SMTPServerAuthenticationResponse } from 'smtp-server';
import { FAST_DELIVERY_ENV, waitFor } from '../delivery/delivery-helpers.ts';
import {
  createDatabase,
  type PostgresCluster,
  postgresSkipReason,
  startPostgresCluster,
} from '../helpers/postgres-cluster.ts';
import { type ServerProcess, startServerProcess } from '../helpers/server-process.ts';
import { describeUnless } from '../helpers/skip.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';

const INTERVAL_MS = 2000;
const skip = process.env.TEST_DATABASE_URL ? undefined : postgresSkipReason();

describeUnless(skip, 'server health: two instances on one PostgreSQL probe each server once per interval', () => {
  let cluster: PostgresCluster | undefined;
  let smtp: TestSmtpServer;
  let a: ServerProcess | undefined;
  let b: ServerProcess | undefined;
  let authAttempts = 0;

  before(async () => {
    if (!process.env.TEST_DATABASE_URL) cluster = await startPostgresCluster();
    const databaseUrl = await createDatabase(process.env.TEST_DATABASE_URL ?? cluster!.url());
    smtp = await startSmtpServer({
      users: { relay: 'relay-secret' },
      options: {
        onAuth(
          auth: SMTPServerAuthentication,
          _s,
          callback: (e?: Error | null, r?: SMTPServerAuthenticationResponse) => void,
        ) {
          authAttempts++;
          if (auth.username === 'relay' && auth.password === 'relay-secret') return callback(null, { user: 'relay' });
          callback(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
        },
      },
    });
    const env = {
      ...FAST_DELIVERY_ENV,
      MAILROUTE_OUTBOUND_ALLOW: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      MAILROUTE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      MAILROUTE_HEALTH_PROBE_INTERVAL_SECONDS: String(INTERVAL_MS / 1000),
    };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await smtp?.close();
    await cluster?.destroy();
  });

  it('counts AUTH at the SMTP server: at most one probe per (jittered) interval, not one per instance', async () => {
    const token = await waitFor('the bootstrap token', () => a!.bootstrapToken ?? b!.bootstrapToken, 10_000);
    const created = await a!.api('/api/v1/email-servers', token, {
      method: 'POST',
      body: {
        alias: 'Probed',
        host: '127.0.0.1',
        port: smtp.port,
        username: 'relay',
        password: 'relay-secret',
        enabled: true,
        caCertificate: TEST_TLS.ca,
      },
    });
    assert.equal(created.status, 201, created.text);
    const path = `/api/v1/mailroute/email-servers/${created.body.id}/health`;
    await waitFor('the first probe', async () => (await b!.api(path, token)).body.state === 'healthy', 30_000);

    const startCount = authAttempts;
    const started = Date.now();
    await sleep(5 * INTERVAL_MS);
    const probes = authAttempts - startCount;
    const elapsed = Date.now() - started;
    // Intervals are at least 90% of the setting (jitter), so one prober fits at most this many into
    // the window; two probers each probing would make about twice as many.
    const atMost = Math.floor(elapsed / (0.9 * INTERVAL_MS)) + 1;
    assert.ok(probes >= 1, 'the server was probed in the window');
    assert.ok(probes <= atMost, `${probes} probes in ${elapsed} ms: at most ${atMost} expected`);
    assert.equal(smtp.messages.length, 0, 'probes send no mail');
  });
});
