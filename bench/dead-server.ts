import net from 'node:net';
import { startSmtpServer, type TestSmtpServer } from '../test/helpers/smtp-server.ts';
import { freePort } from './processes.ts';
import {
  attemptFigures,
  createPlainServer,
  metric,
  type ProviderService,
  startProviderService,
  submitNotifications,
} from './provider-service.ts';
import { format, type Report, verdict } from './report.ts';

const MESSAGES = 1000;
/** How long the server stays dead after the whole backlog is queued. */
const DEAD_WINDOW_MS = 120_000;
const DELIVERY_TIMEOUT_MS = 90_000;
/** Targets from the issue: at most tens of connection attempts in 2 minutes; all delivered within a minute. */
const TARGET_ATTEMPTS_PER_TWO_MINUTES = 50;
const TARGET_RECOVERY_SECONDS = 60;
/** The production defaults (circuit cool-down 5 s doubling to 30 s, retries from 30 s, poll 1 s). */
const DEAD_SERVER_ENV = {};
const ENV_NOTE = 'default settings';

/**
 * 1,000 notifications queued for a server whose port accepts connections and closes them at once
 * (no greeting): the connection attempts it sees in a bounded window; then a real SMTP server takes
 * over the port and the time until every message has arrived.
 */
export async function deadServerSection(report: Report): Promise<void> {
  const area = 'Dead server';
  const port = await freePort();
  const connectionsAt: number[] = [];
  // Counts every connection and hangs up before a greeting, as a crashed relay's proxy would.
  const dead = net.createServer((socket) => {
    connectionsAt.push(Date.now());
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    dead.once('error', reject);
    dead.listen(port, '127.0.0.1', resolve);
  });
  let deadOpen = true;
  let provider: ProviderService | undefined;
  let smtp: TestSmtpServer | undefined;
  try {
    provider = await startProviderService(DEAD_SERVER_ENV);
    await createPlainServer(provider, port);
    const submitStarted = Date.now();
    const ids = await submitNotifications(provider, MESSAGES);
    const queued = Date.now();
    const duringSubmission = connectionsAt.length;
    await new Promise((resolve) => setTimeout(resolve, DEAD_WINDOW_MS));
    const inWindow = connectionsAt.filter((at) => at >= queued).length;
    const outage = await attemptFigures(provider, ids);
    const circuitOpens = await metric(provider, 'mailroute_smtp_circuit_opens_total');

    await new Promise<void>((resolve) => dead.close(() => resolve()));
    deadOpen = false;
    smtp = await startSmtpServer({ tls: 'none', port });
    const back = performance.now();
    // A run that misses the bound still reports how many arrived.
    await smtp.waitForMessages(MESSAGES, DELIVERY_TIMEOUT_MS).catch(() => undefined);
    const recoverySeconds = (performance.now() - back) / 1000;
    const perMinute = (inWindow * 60_000) / DEAD_WINDOW_MS;
    report.figures.deadServer = {
      env: DEAD_SERVER_ENV,
      messages: MESSAGES,
      submitSeconds: (queued - submitStarted) / 1000,
      connectionsDuringSubmission: duringSubmission,
      connectionsInWindow: inWindow,
      windowSeconds: DEAD_WINDOW_MS / 1000,
      circuitOpens,
      attemptsDuringOutage: outage,
      delivered: smtp.messages.length,
      recoverySeconds,
    };
    report.add({
      area,
      measure: `${MESSAGES.toLocaleString('en-US')} notifications queued for a server that accepts and closes every connection, for ${DEAD_WINDOW_MS / 1000} s (${ENV_NOTE})`,
      mailroute: `${inWindow} connection attempts in ${DEAD_WINDOW_MS / 1000} s after queueing (${format.rate(perMinute, '/min')}; ${duringSubmission} more during the ${((queued - submitStarted) / 1000).toFixed(1)} s of submitting); circuit opened ${circuitOpens} times; ${outage.attempts} attempts recorded on the messages (most ${outage.maxAttempts} on one)`,
      baseline: `one attempt per queued message per retry wave: ≥ ${MESSAGES.toLocaleString('en-US')}`,
      ratio: '',
      target: `≤ ${TARGET_ATTEMPTS_PER_TWO_MINUTES} per 2 minutes`,
      verdict: verdict(perMinute * 2 <= TARGET_ATTEMPTS_PER_TWO_MINUTES),
    });
    report.add({
      area,
      measure: 'then a real SMTP server takes the port: time until every message has arrived',
      mailroute: `${smtp.messages.length}/${MESSAGES} in ${recoverySeconds.toFixed(1)} s`,
      target: `all within ${TARGET_RECOVERY_SECONDS} s`,
      verdict: verdict(recoverySeconds <= TARGET_RECOVERY_SECONDS, MESSAGES - smtp.messages.length),
    });
  } finally {
    if (deadOpen) dead.close();
    await provider?.service.stop();
    await smtp?.close();
  }
}
