import nodemailer from 'nodemailer';
import { TEST_TLS } from '../test/helpers/smtp-server.ts';
import { BENCH_SERVICE_ENV } from './api.ts';
import { memoryAfterDeliveryRow } from './api-section.ts';
import { load } from './load.ts';
import { type ChildServer, startChild, startService } from './processes.ts';
import { format, type Report, verdict } from './report.ts';

const MESSAGES = 5_000;
/** Connections mailroute pools per server by default (MAILROUTE_DELIVERY_POOL_SIZE), used for the raw baseline too. */
const POOL_SIZE = 5;
/** The peer figure: a new connection per message, this many in flight, bounded by count and time. */
const PER_MESSAGE_IN_FLIGHT = 5;
const PER_MESSAGE_MAX = 400;
const PER_MESSAGE_BUDGET_MS = 12_000;
const DELIVERY_TIMEOUT_MS = 90_000;

const TARGET_RATIO = 0.8;
const TARGET_TIMES_PEER = 10;
const TARGET_ACCEPTED_PER_SECOND = 5_000;
const INTAKE_CONNECTIONS = 20;

const NOTIFICATIONS_PATH = '/api/v1/mailroute/notifications';
const NOTIFICATION = {
  template: 'welcome',
  recipient: 'new.user@mailroute.localhost',
  variables: { orgName: 'Bench Org', firstName: 'Ada', loginUrl: 'https://login.mailroute.localhost/' },
};
const RAW_MESSAGE = {
  from: 'mailroute <no-reply@mailroute.localhost>',
  to: NOTIFICATION.recipient,
  subject: 'Welcome to Bench Org',
  text: 'Hello Ada,\n\nYour Bench Org account is ready. Sign in here:\n\nhttps://login.mailroute.localhost/\n',
  html: '<p>Hello Ada,</p><p>Your Bench Org account is ready. <a href="https://login.mailroute.localhost/">Sign in</a>.</p>',
};
const SINK_AUTH = { user: 'bench', pass: 'bench-password' };

/**
 * 5,000 notifications through mailroute (accepted by the API, rendered, queued, delivered by the
 * workers over a pooled STARTTLS connection) vs the same count through raw pooled nodemailer to the
 * same sink, and the one-connection-per-message rate as the peer figure.
 */
export async function deliverySection(report: Report): Promise<void> {
  const area = 'Delivery';
  const sink = await startChild('smtp-sink.ts');
  try {
    const port = Number(new URL(sink.url).port);

    const rawPooled = await rawPooledRun(sink, port);
    const service = await startService({ ...BENCH_SERVICE_ENV, MAILROUTE_DELIVERY_POOL_SIZE: String(POOL_SIZE) });
    let mailroute:
      | { seconds: number; acceptedSeconds: number; acceptedPerSecond: number; failures: number }
      | undefined;
    try {
      const headers = { authorization: `SSWS ${service.token}`, 'content-type': 'application/json' };
      const probe = await fetch(`${service.url}${NOTIFICATIONS_PATH}`, { method: 'POST', headers, body: '{}' });
      if (probe.status === 404) {
        report.unavailable(area, `POST ${NOTIFICATIONS_PATH} is not served by this build`);
        return;
      }
      await createEnabledServer(service.url, headers, port);
      await sink.ask({ op: 'reset' });
      const started = performance.now();
      const accepted = await load({
        url: `${service.url}${NOTIFICATIONS_PATH}`,
        connections: INTAKE_CONNECTIONS,
        amount: MESSAGES,
        method: 'POST',
        headers,
        body: JSON.stringify(NOTIFICATION),
      });
      const acceptedSeconds = accepted.total / accepted.requestsPerSecond;
      await sink.ask({ op: 'waitFor', count: MESSAGES - accepted.failures }, DELIVERY_TIMEOUT_MS);
      const seconds = (performance.now() - started) / 1000;
      mailroute = {
        seconds,
        acceptedSeconds,
        acceptedPerSecond: accepted.requestsPerSecond,
        failures: accepted.failures,
      };
      memoryAfterDeliveryRow(report, service.rssMB());
    } finally {
      await service.stop();
    }

    const perMessage = await perMessageRun(sink, port);
    const rate = (MESSAGES - mailroute.failures) / mailroute.seconds;
    const rawRate = MESSAGES / rawPooled.seconds;
    report.figures.delivery = { mailroute, rawPooled, perMessage, poolSize: POOL_SIZE };
    report.add({
      area,
      measure: `${MESSAGES.toLocaleString('en-US')} notifications, API accepted → received by the sink`,
      mailroute: `${format.rate(rate, 'msg/s')} end to end (${mailroute.seconds.toFixed(1)} s: accepting took ${mailroute.acceptedSeconds.toFixed(1)} s at ${format.rate(mailroute.acceptedPerSecond, 'req/s')}, the queue drained ${(mailroute.seconds - mailroute.acceptedSeconds).toFixed(1)} s later)${mailroute.failures ? `; ${mailroute.failures} refused` : ''}`,
      baseline: `raw pooled nodemailer (${POOL_SIZE} connections) ${format.rate(rawRate, 'msg/s')}`,
      ratio: format.percent(rate / rawRate),
      target: `≥ ${format.percent(TARGET_RATIO)}`,
      verdict: verdict(rate / rawRate >= TARGET_RATIO, mailroute.failures),
    });
    report.add({
      area,
      measure: `notification intake (SQLite, synchronous = FULL), ${INTAKE_CONNECTIONS} connections, workers sending meanwhile`,
      mailroute: format.rate(mailroute.acceptedPerSecond, 'accepted/s'),
      target: `≥ ${format.rate(TARGET_ACCEPTED_PER_SECOND, 'accepted/s')}`,
      verdict: verdict(mailroute.acceptedPerSecond >= TARGET_ACCEPTED_PER_SECOND, mailroute.failures),
    });
    report.add({
      area,
      measure: 'vs one connection per message (Keycloak, ZITADEL, Logto)',
      mailroute: format.rate(rate, 'msg/s'),
      baseline: `nodemailer without pool, ${PER_MESSAGE_IN_FLIGHT} in flight: ${format.rate(perMessage.rate, 'msg/s')} (${perMessage.sent} messages)`,
      ratio: format.times(rate / perMessage.rate),
      target: `≥ ${TARGET_TIMES_PEER}×`,
      verdict: verdict(rate / perMessage.rate >= TARGET_TIMES_PEER, perMessage.failures),
    });
  } finally {
    await sink.stop();
  }
}

function transportOptions(port: number) {
  return { host: '127.0.0.1', port, secure: false, requireTLS: true, tls: { ca: TEST_TLS.ca }, auth: SINK_AUTH };
}

async function rawPooledRun(sink: ChildServer, port: number): Promise<{ seconds: number }> {
  await sink.ask({ op: 'reset' });
  const transport = nodemailer.createTransport({
    ...transportOptions(port),
    pool: true,
    maxConnections: POOL_SIZE,
    maxMessages: Number.POSITIVE_INFINITY,
  });
  try {
    const started = performance.now();
    // The pool queues them; all are handed over at once as a queue of due messages would be.
    await Promise.all(Array.from({ length: MESSAGES }, () => transport.sendMail(RAW_MESSAGE)));
    await sink.ask({ op: 'waitFor', count: MESSAGES }, DELIVERY_TIMEOUT_MS);
    return { seconds: (performance.now() - started) / 1000 };
  } finally {
    transport.close();
  }
}

async function perMessageRun(
  sink: ChildServer,
  port: number,
): Promise<{ rate: number; sent: number; failures: number }> {
  await sink.ask({ op: 'reset' });
  let sent = 0;
  let failures = 0;
  let next = 0;
  const started = performance.now();
  const deadline = Date.now() + PER_MESSAGE_BUDGET_MS;
  const lane = async () => {
    while (next < PER_MESSAGE_MAX && Date.now() < deadline) {
      next++;
      const transport = nodemailer.createTransport(transportOptions(port));
      try {
        await transport.sendMail(RAW_MESSAGE);
        sent++;
      } catch {
        failures++;
      } finally {
        transport.close();
      }
    }
  };
  await Promise.all(Array.from({ length: PER_MESSAGE_IN_FLIGHT }, lane));
  return { rate: sent / ((performance.now() - started) / 1000), sent, failures };
}

async function createEnabledServer(url: string, headers: Record<string, string>, port: number): Promise<void> {
  const response = await fetch(`${url}/api/v1/email-servers`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      alias: 'Bench delivery sink',
      enabled: true,
      host: '127.0.0.1',
      port,
      username: SINK_AUTH.user,
      password: SINK_AUTH.pass,
      tlsMode: 'starttls',
      caCertificate: TEST_TLS.ca,
    }),
  });
  if (response.status !== 201)
    throw new Error(
      `creating the delivery server answered ${response.status}: ${(await response.text()).slice(0, 300)}`,
    );
}
