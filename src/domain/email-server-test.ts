import { setTimeout as sleep } from 'node:timers/promises';
import type { SmtpSettings } from '../config.ts';
import type { TlsMode } from '../schemas/tls-modes.ts';
import { mailboxProblem } from '../smtp/address.ts';
import { type CheckDeps, runSmtpSession } from '../smtp/check/smtp-session.ts';
import type { VettedDestination } from '../smtp/destination-guard.ts';
import type { SmtpDiagnosis } from '../smtp/diagnosis.ts';
import { isNoSmtpDiagnosis } from '../smtp/not-smtp.ts';
import { buildTestMessage } from '../smtp/test-message.ts';
import { probeImplicitTls, probeStartTls } from '../smtp/tls-probe.ts';
import type { EmailServerRecord, EmailServerStore } from '../store/store.ts';
import { DomainError, type FieldProblem, invalidInput, notFound } from './errors.ts';
import { SmtpTestFailure } from './smtp-test-failure.ts';

/** Body of POST /email-servers/{id}/test: current Okta names, or the older `from`/`to`. */
export interface EmailTestAddressesInput {
  fromAddress?: string;
  toAddress?: string;
  from?: string;
  to?: string;
}

export interface EmailServerTestDeps {
  emailServers: Pick<EmailServerStore, 'get'>;
  /** The staged session engine the check runs on, so /test and /check cannot disagree. */
  engine: CheckDeps;
  settings: Pick<SmtpSettings, 'testDeadlineMs' | 'testsInFlightPerOrg' | 'greetingTimeoutMs' | 'connectionTimeoutMs'>;
  now: () => number;
}

export type EmailServerTestService = ReturnType<typeof createEmailServerTestService>;

/** Sends a real test message through a stored server; a failure throws SmtpTestFailure with the staged diagnosis. */
export function createEmailServerTestService(deps: EmailServerTestDeps) {
  const { settings } = deps;
  // Per process: a bound on the sockets one org can make this instance open, not a global quota.
  const inFlight = new Map<string, number>();

  async function send(server: EmailServerRecord, from: string, to: string): Promise<void> {
    const started = deps.now();
    const deadline = started + settings.testDeadlineMs;
    const message = await buildTestMessage({
      alias: server.alias,
      host: server.host,
      port: server.port,
      from,
      to,
      now: new Date(deps.now()),
    });
    const session = await runSmtpSession(
      { server, fromAddress: from, toAddress: to, message, deadlineMs: settings.testDeadlineMs },
      deps.engine,
    );
    if (!session.failed) return;
    const { diagnosis } = session.failed;
    if (session.destination)
      await explain(
        diagnosis,
        session.destination,
        session.tlsMode,
        Math.min(settings.greetingTimeoutMs, Math.max(deadline - deps.now(), 1)),
        deps.engine.settings.ehloName,
      );
    if (isNoSmtpDiagnosis(diagnosis)) {
      // Closed, filtered and silent ports answer at the same moment, so timing cannot tell them apart either.
      const answerAt = Math.min(deadline, started + settings.connectionTimeoutMs + settings.greetingTimeoutMs);
      if (answerAt > deps.now()) await sleep(answerAt - deps.now());
    }
    throw new SmtpTestFailure(diagnosis);
  }

  return {
    async test(orgId: string, id: string, input: EmailTestAddressesInput): Promise<void> {
      const { from, to } = readAddresses(input);
      const server = await deps.emailServers.get(orgId, id);
      if (!server) throw notFound(id, 'EmailServer');
      const running = inFlight.get(orgId) ?? 0;
      if (running >= settings.testsInFlightPerOrg) {
        throw new DomainError('too_many_in_flight', `org ${orgId} already has ${running} SMTP tests in flight`, {
          retryable: true,
        });
      }
      inFlight.set(orgId, running + 1);
      try {
        await send(server, from, to);
      } finally {
        const left = (inFlight.get(orgId) ?? 1) - 1;
        if (left > 0) inFlight.set(orgId, left);
        else inFlight.delete(orgId);
      }
    },
  };
}

/**
 * Both addresses are required. Errors name the field the caller used: the current names, unless
 * the request spoke only the older `from`/`to`.
 */
function readAddresses(input: EmailTestAddressesInput): { from: string; to: string } {
  const older =
    input.fromAddress === undefined &&
    input.toAddress === undefined &&
    (input.from !== undefined || input.to !== undefined);
  const read = (current: 'fromAddress' | 'toAddress', legacy: 'from' | 'to') => {
    const field = input[current] !== undefined ? current : input[legacy] !== undefined || older ? legacy : current;
    return { field, value: input[field] };
  };
  const problems: FieldProblem[] = [];
  const [from, to] = [read('fromAddress', 'from'), read('toAddress', 'to')].map(({ field, value }) => {
    const problem = value === undefined ? 'The field cannot be left blank' : mailboxProblem(value);
    if (problem) problems.push({ field, message: problem });
    return value ?? '';
  });
  if (problems.length > 0) throw invalidInput(problems);
  return { from, to };
}

/** After a failure: look closer (without credentials) to say who presented a refused certificate, or whether a silent port speaks TLS. */
async function explain(
  diagnosis: SmtpDiagnosis,
  destination: VettedDestination,
  tlsMode: TlsMode,
  timeoutMs: number,
  ehloName: string | undefined,
): Promise<void> {
  if (
    diagnosis.stage === 'tls' &&
    diagnosis.tls?.reason &&
    /certificate|altname/i.test(`${diagnosis.tls.reason} ${diagnosis.hint}`)
  ) {
    const facts =
      tlsMode === 'implicit'
        ? await probeImplicitTls(destination, timeoutMs)
        : await probeStartTls(destination, timeoutMs, ehloName);
    if (facts) diagnosis.tls = { ...diagnosis.tls, ...facts };
    return;
  }
  if (isNoSmtpDiagnosis(diagnosis) && tlsMode !== 'implicit') {
    const facts = await probeImplicitTls(destination, timeoutMs);
    if (facts) {
      // The usual implicit/STARTTLS mix-up; the certificate's names stay out, as this port has not proven to be SMTP.
      diagnosis.stage = 'greeting';
      diagnosis.hint = `the server on port ${destination.port} speaks implicit TLS (it answered a TLS handshake and sent no plain-text greeting), not ${tlsMode}: set tlsMode to implicit`;
    }
  }
}
