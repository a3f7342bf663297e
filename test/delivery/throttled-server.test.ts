import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import {
  createCustomServer,
  type DeliveryTestApp,
  messageIdCounts,
  startDeliveryApp,
  submitMany,
  waitFor,
} from './delivery-helpers.ts';

const NOTIFICATIONS = '/api/v1/mailroute/notifications';
const HEALTH = '/api/v1/mailroute/notification-stats/servers';
const BACKLOG = 200;
// Microsoft 365's limits (3 concurrent connections, 30 messages a minute), at a faster scale.
const MAX_CONNECTIONS = 3;
const PER_WINDOW = 20;
const WINDOW_MS = 1000;
const THROTTLE_ENV = {
  MAILROUTE_DELIVERY_THROTTLE_WINDOW_MS: '1000',
  MAILROUTE_DELIVERY_CIRCUIT_COOL_DOWN_MS: '250',
  MAILROUTE_DELIVERY_CIRCUIT_MAX_COOL_DOWN_MS: '2000',
};

interface Refusal {
  at: number;
  code: 421 | 432;
}

/** A relay that throttles like Microsoft 365: a 4th connection gets `432 4.3.2`, a burst gets `421 4.7.0`. */
async function startThrottlingServer(): Promise<TestSmtpServer & { refusals: Refusal[] }> {
  const refusals: Refusal[] = [];
  const open = new Set<string>();
  const accepted: number[] = [];
  const refuse = (code: 421 | 432, text: string) => {
    refusals.push({ at: Date.now(), code });
    return Object.assign(new Error(text), { responseCode: code });
  };
  const smtp = await startSmtpServer({
    tls: 'none',
    options: {
      onConnect(session, callback) {
        if (open.size >= MAX_CONNECTIONS) {
          return callback(
            refuse(432, '4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending'),
          );
        }
        open.add(session.id);
        callback();
      },
      onClose(session) {
        open.delete(session.id);
      },
      onMailFrom(_address, _session, callback) {
        const now = Date.now();
        while (accepted.length > 0 && accepted[0] <= now - WINDOW_MS) accepted.shift();
        if (accepted.length >= PER_WINDOW) {
          return callback(
            refuse(421, '4.7.0 Message submission rate for this client has exceeded the configured limit'),
          );
        }
        accepted.push(now);
        callback();
      },
    },
  });
  return Object.assign(smtp, { refusals });
}

async function statuses(t: DeliveryTestApp, ids: string[]): Promise<Array<{ status: string; attempts: number }>> {
  const out = [];
  for (const id of ids) out.push((await t.api(`${NOTIFICATIONS}/${id}`)).body);
  return out;
}

async function deferredEvents(t: DeliveryTestApp): Promise<number> {
  const filter = 'eventType eq "system.email.delivery" and outcome.reason eq "DEFERRED"';
  const res = await t.api(`/api/v1/logs?limit=1000&filter=${encodeURIComponent(filter)}`);
  assert.equal(res.status, 200, res.text);
  return res.body.length;
}

describe('delivery to a server that throttles like Microsoft 365, with no limits set', () => {
  let t: DeliveryTestApp;
  let smtp: Awaited<ReturnType<typeof startThrottlingServer>>;

  before(async () => {
    smtp = await startThrottlingServer();
    t = await startDeliveryApp(THROTTLE_ENV);
  });
  after(async () => {
    await t?.close();
    await smtp?.close();
  });

  it(`delivers all ${BACKLOG}; throttle replies fall after the first wave and cost no attempts`, async () => {
    const serverId = await createCustomServer(t, smtp, undefined, { tlsMode: 'none', username: 'relay', password: '' });
    const ids = await submitMany(t, BACKLOG);
    const started = Date.now();
    await smtp.waitForMessages(BACKLOG, 120_000);
    const elapsed = Date.now() - started;
    const twice = [...messageIdCounts(smtp).values()].filter((n) => n > 1).length;
    assert.equal(twice, 0, 'no message delivered twice');

    const messages = await waitFor('every message recorded as sent', async () => {
      const all = await statuses(t, ids);
      return all.every((m) => m.status === 'sent') ? all : undefined;
    });
    // Throttled attempts are given back: the attempt budget (12) is never at risk. A 421 closes the
    // connection, and a message caught on it as it closes may still spend one.
    const maxAttempts = Math.max(...messages.map((m) => m.attempts));
    assert.ok(maxAttempts <= 4, `a message spent ${maxAttempts} attempts`);

    // The first wave meets the limits; once the worker has learned them, few replies follow.
    const refusals = smtp.refusals.map((r) => r.at - started);
    const firstSecond = refusals.filter((at) => at < 1000).length;
    const later = refusals.filter((at) => at >= elapsed / 2).length;
    console.log(
      `throttled server: ${BACKLOG} delivered in ${elapsed} ms; throttle replies ${refusals.length} ` +
        `(432: ${smtp.refusals.filter((r) => r.code === 432).length}, 421: ${smtp.refusals.filter((r) => r.code === 421).length}); ` +
        `first second ${firstSecond}, second half ${later}; max attempts ${maxAttempts}`,
    );
    assert.ok(refusals.length >= 1, 'the server did push back');
    assert.ok(refusals.length <= 20, `${refusals.length} throttle replies for ${BACKLOG} messages`);
    // The learnt level is kept after the spell: replies do not come back in bursts.
    assert.ok(later <= 3, `${later} throttle replies in the second half`);

    // One DEFERRED event per throttle window, not one per throttled attempt.
    const events = await deferredEvents(t);
    assert.ok(events >= 1, 'the deferral is in the System Log');
    assert.ok(events <= Math.ceil(elapsed / WINDOW_MS) + 1, `${events} DEFERRED events in ${elapsed} ms`);

    const health = await t.api(`${HEALTH}/${serverId}`);
    assert.equal(health.status, 200, health.text);
    assert.ok(health.body.throttle.replies >= 0 && typeof health.body.throttle.state === 'string');
    assert.equal(health.body.circuit.state, 'closed');
    const metrics = await t.api('/metrics');
    const counted = Number(/mailroute_smtp_throttle_replies_total\{route="custom"\} (\d+)/.exec(metrics.text)?.[1]);
    // Every reply reaches the throttle; the scheduled health probe's own connection may draw one it does not count.
    assert.ok(
      counted >= Math.max(1, smtp.refusals.length - 1) && counted <= smtp.refusals.length,
      `${counted} counted, ${smtp.refusals.length} sent`,
    );
  });
});

describe('delivery to a server that refuses connections', () => {
  let t: DeliveryTestApp;
  let dead: net.Server;
  let smtp: TestSmtpServer | undefined;
  let connections = 0;

  before(async () => {
    // Accepts and hangs up at once, counting every connection attempt.
    dead = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    // Retries a minute apart, as in production: the messages that failed before the circuit opened
    // (and the failed probes) must not wait out that backoff once the server is back.
    t = await startDeliveryApp({
      ...THROTTLE_ENV,
      MAILROUTE_DELIVERY_RETRY_BASE_MS: '60000',
      MAILROUTE_DELIVERY_RETRY_MAX_MS: '600000',
    });
  });
  after(async () => {
    await t?.close();
    await smtp?.close();
    dead?.close();
  });

  it(`holds ${BACKLOG} messages with a handful of connection attempts, and delivers them all once it is back`, async () => {
    const port = (dead.address() as net.AddressInfo).port;
    const serverId = await createCustomServer(t, { port }, undefined, {
      tlsMode: 'none',
      username: 'relay',
      password: '',
    });
    const ids = await submitMany(t, BACKLOG);
    await waitFor('the circuit to open', async () => {
      const res = await t.api(`${HEALTH}/${serverId}`);
      return res.body.circuit?.state === 'open' ? res.body : undefined;
    });
    // An outage of several cool-downs: the circuit probes, one send at a time.
    const outageStart = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const during = connections;
    const health = (await t.api(`${HEALTH}/${serverId}`)).body;
    assert.ok(health.circuit.opens >= 2, `the circuit opened ${health.circuit.opens} times`);
    assert.match(health.circuit.reason, /SMTP server|closed|connection/i);
    assert.ok(during <= 40, `${during} connection attempts during the outage`);

    // Mail is held, not failed: no message ran out of attempts.
    const held = await statuses(t, ids);
    assert.equal(held.filter((m) => m.status === 'failed').length, 0);
    assert.ok(Math.max(...held.map((m) => m.attempts)) <= 3);

    await new Promise<void>((resolve) => dead.close(() => resolve()));
    smtp = await startSmtpServer({ tls: 'none', port });
    const back = Date.now();
    await smtp.waitForMessages(BACKLOG, 20_000);
    console.log(
      `dead server: ${during} connection attempts in ${Date.now() - outageStart - (Date.now() - back)} ms of outage ` +
        `with ${BACKLOG} queued; all delivered ${Date.now() - back} ms after it came back`,
    );
    const twice = [...messageIdCounts(smtp).values()].filter((n) => n > 1).length;
    assert.equal(twice, 0, 'no message delivered twice');
    const metrics = await t.api('/metrics');
    const opens = Number(/mailroute_smtp_circuit_opens_total\{route="custom"\} (\d+)/.exec(metrics.text)?.[1]);
    assert.ok(opens >= 2, `${opens} circuit opens counted`);
  });
});
