import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EmailServerCheckReport } from '../../schemas/email-server-check.ts';
import { unbracket } from '../destination-guard.ts';
import { isNoSmtpDiagnosis } from '../not-smtp.ts';
import type { SmtpServerConfig } from '../transport.ts';
import { basicAuthAdvisories, senderAdvisories, sessionAdvisories, tlsAdvisories } from './advisories.ts';
import { checkSenderAuthentication } from './sender-auth.ts';
import { type CheckDeps, runSmtpSession } from './smtp-session.ts';

export type { CheckDeps };

export interface CheckInput {
  server: SmtpServerConfig;
  fromAddress?: string;
  toAddress?: string;
}

/**
 * The check: the staged session up to MAIL FROM / RCPT TO, then RSET and QUIT, never DATA, so
 * nothing is delivered; then advisories and, with a sender, its SPF and DMARC.
 */
export async function runServerCheck(input: CheckInput, deps: CheckDeps): Promise<EmailServerCheckReport> {
  const { server } = input;
  const { settings } = deps;
  const session = await runSmtpSession(input, deps);
  const { stages, failed, tls, ehlo, tlsMode } = session;
  if (failed && isNoSmtpDiagnosis(failed.diagnosis)) {
    // Closed, silent and foreign ports answer at one moment, as /test does, so the report's
    // timing cannot tell them apart either.
    const answerAt = failed.startedAt + settings.connectionTimeoutMs + settings.greetingTimeoutMs;
    if (answerAt > performance.now()) await sleep(answerAt - performance.now());
    const last = stages.at(-1);
    if (last) last.durationMs = Math.max(0, Math.round(performance.now() - failed.startedAt));
  }
  const failure: EmailServerCheckReport['failure'] = failed && {
    stage: failed.stage,
    ...(failed.diagnosis.hint ? { hint: failed.diagnosis.hint } : {}),
    ...(failed.diagnosis.reply ? { reply: failed.diagnosis.reply } : {}),
    retryable: failed.diagnosis.retryable,
  };

  const advisories = [
    ...(tls ? tlsAdvisories(tls) : []),
    ...sessionAdvisories({
      tlsMode,
      port: server.port,
      startTlsOffered: session.startTlsOffered,
      authBeforeTls: session.authBeforeTls,
      authAfterTls: session.authAfterTls,
    }),
    ...basicAuthAdvisories(server.host, server.authType),
  ];
  let senderAuthentication: EmailServerCheckReport['senderAuthentication'];
  if (input.fromAddress) {
    const bare = unbracket(server.host);
    const serverAddresses =
      isIP(bare) !== 0
        ? [bare]
        : await deps.dns.lookup(bare).then(
            (found) => found.map((entry) => entry.address),
            () => [],
          );
    senderAuthentication = await checkSenderAuthentication({
      fromAddress: input.fromAddress,
      serverAddresses,
      ehloName: settings.ehloName,
      dns: deps.dns,
    });
    advisories.push(...senderAdvisories(senderAuthentication));
  }

  return {
    emailServerId: server.id,
    host: server.host,
    port: server.port,
    tlsMode,
    authType: server.authType,
    checkedAt: new Date(deps.now()).toISOString(),
    outcome: failure ? 'failed' : 'passed',
    stages,
    ...(failure ? { failure } : {}),
    extensions: ehlo.extensions,
    authMechanisms: ehlo.mechanisms,
    ...(tls ? { tls } : {}),
    ...(senderAuthentication ? { senderAuthentication } : {}),
    advisories,
  };
}
