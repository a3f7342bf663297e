import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SMTPConnectionCustomAuthContext } from 'nodemailer/lib/smtp-connection';
import type { SmtpSettings } from '../../config.ts';
import { AUTH_TYPE_CATALOGUE } from '../../schemas/auth-types.ts';
import type {
  CheckStage,
  CheckStageReport,
  EmailServerCheckReport,
  TlsReport,
} from '../../schemas/email-server-check.ts';
import type { SmtpAuthSettings } from '../auth-strategy.ts';
import { diagnoseSmtpError, type SmtpAttempt } from '../classify-error.ts';
import { createDestinationPolicy, DestinationError, resolveDestination, unbracket } from '../destination-guard.ts';
import { SmtpFailure } from '../diagnosis.ts';
import type { DnsResolver } from '../dns-resolver.ts';
import { isNoSmtpDiagnosis } from '../not-smtp.ts';
import { cleanReply, redactCredentials } from '../redact.ts';
import { effectiveTlsMode } from '../tls-mode.ts';
import { resolveAuth, type SmtpServerConfig, type SmtpTransportDeps } from '../transport.ts';
import { basicAuthAdvisories, senderAdvisories, sessionAdvisories, tlsAdvisories } from './advisories.ts';
import { checkSenderAuthentication } from './sender-auth.ts';
import { dialogueError, SmtpDialogue, type SmtpReply } from './smtp-dialogue.ts';
import { describeTls } from './tls-report.ts';

export interface CheckDeps {
  secretBox: SmtpTransportDeps['secretBox'];
  authStrategies?: SmtpTransportDeps['authStrategies'];
  settings: Pick<
    SmtpSettings,
    | 'connectionTimeoutMs'
    | 'greetingTimeoutMs'
    | 'socketTimeoutMs'
    | 'dnsTimeoutMs'
    | 'allow'
    | 'denyPrivate'
    | 'ehloName'
  >;
  dns: DnsResolver;
  now: () => number;
}

export interface CheckInput {
  server: SmtpServerConfig;
  fromAddress?: string;
  toAddress?: string;
}

/** An EHLO reply's keywords and AUTH mechanisms. */
function readEhlo(reply: SmtpReply): { extensions: string[]; mechanisms: string[] } {
  const keywords = reply.lines.slice(1);
  const extensions = keywords.map((line) => line.split(/[\s=]/)[0].toUpperCase()).filter(Boolean);
  const auth = keywords.find((line) => /^AUTH[\s=]/i.test(line));
  const mechanisms = auth ? auth.slice(5).trim().toUpperCase().split(/\s+/).filter(Boolean) : [];
  return { extensions, mechanisms };
}

/**
 * The staged check: DNS (through the guard), connect, TLS, greeting, EHLO, STARTTLS, token, AUTH
 * and, with addresses, MAIL FROM / RCPT TO, then RSET and QUIT. Never DATA, so nothing is
 * delivered. Failures are read by the same classifier as /test and delivery.
 */
export async function runServerCheck(input: CheckInput, deps: CheckDeps): Promise<EmailServerCheckReport> {
  const { server } = input;
  const { settings } = deps;
  const tlsMode = effectiveTlsMode(server);
  const family = AUTH_TYPE_CATALOGUE[server.authType].family;
  const attempt: SmtpAttempt = {
    host: server.host,
    port: server.port,
    tlsMode,
    customCa: Boolean(server.caCertificate),
    username: server.username,
    secrets: [],
  };
  const stages: CheckStageReport[] = [];
  const redacted = (reply: SmtpReply) => ({
    code: reply.code,
    text: cleanReply(redactCredentials(reply.text, attempt)),
  });
  let current: { stage: CheckStage; started: number } | undefined;
  const begin = (stage: CheckStage) => {
    current = { stage, started: performance.now() };
  };
  const elapsed = () => Math.max(0, Math.round(performance.now() - (current?.started ?? performance.now())));
  const pass = (reply?: SmtpReply) => {
    if (!current) return;
    stages.push({
      stage: current.stage,
      outcome: 'passed',
      durationMs: elapsed(),
      ...(reply ? { reply: redacted(reply) } : {}),
    });
    current = undefined;
  };
  const skip = (stage: CheckStage) => stages.push({ stage, outcome: 'skipped', durationMs: 0 });

  let dialogue: SmtpDialogue | undefined;
  let tls: TlsReport | undefined;
  let ehlo = { extensions: [] as string[], mechanisms: [] as string[] };
  let startTlsOffered = false;
  let authBeforeTls = false;
  let authAfterTls: boolean | undefined;
  let failure: EmailServerCheckReport['failure'];
  let sessionOpen = false;
  let connectStarted = performance.now();

  const expect = (reply: SmtpReply, codes: number[], code: string, command: string) => {
    if (codes.includes(reply.code)) return reply;
    throw dialogueError(`${command} refused`, { code, command, response: reply.text, responseCode: reply.code });
  };
  const tlsOptions = (destination: { address: string; servername?: string }) => ({
    host: destination.servername ?? destination.address,
    ...(destination.servername ? { servername: destination.servername } : {}),
    // Verified below rather than by the handshake, so an untrusted chain can still be described.
    rejectUnauthorized: false,
    minVersion: 'TLSv1' as const,
    ...(server.caCertificate ? { ca: server.caCertificate } : {}),
  });
  const startTls = async (destination: { address: string; servername?: string }) => {
    const socket = await dialogue!.upgrade(tlsOptions(destination), settings.connectionTimeoutMs);
    tls = describeTls(socket, server.host, deps.now());
    if (!socket.authorized) {
      const reason = String(socket.authorizationError ?? 'CERT_UNTRUSTED');
      throw dialogueError(reason, { code: 'ETLS', originalCode: reason, command: 'CONN' });
    }
    if (tls.protocol !== 'TLSv1.2' && tls.protocol !== 'TLSv1.3')
      throw dialogueError(`the server negotiated ${tls.protocol}`, { code: 'ETLS', command: 'CONN' });
  };
  const sayEhlo = async () => {
    begin('ehlo');
    const name = settings.ehloName ?? `[${dialogue!.localAddress ?? '127.0.0.1'}]`;
    const reply = expect(await dialogue!.send(`EHLO ${name}`, 'EHLO'), [250], 'EPROTOCOL', 'EHLO');
    ehlo = readEhlo(reply);
    pass(reply);
  };

  try {
    begin('dns');
    const destination = await resolveDestination(server.host, server.port, createDestinationPolicy(settings), {
      lookup: deps.dns.lookup,
      timeoutMs: settings.dnsTimeoutMs,
    }).catch((error) => {
      throw error instanceof DestinationError ? SmtpFailure.fromDestination(error, server.host) : error;
    });
    pass();

    begin('connect');
    connectStarted = performance.now();
    dialogue = await SmtpDialogue.open(destination, settings);
    sessionOpen = true;
    pass();
    if (tlsMode === 'implicit') {
      begin('tls');
      await startTls(destination);
      pass();
    }

    begin('greeting');
    const greeting = await dialogue.read(settings.greetingTimeoutMs, 'GREETING_TIMEOUT');
    if (greeting.code !== 220) {
      throw dialogueError(`Invalid greeting. response=${greeting.text}`, {
        code: 'EPROTOCOL',
        command: 'CONN',
        response: greeting.text,
        responseCode: greeting.code,
      });
    }
    pass(greeting);

    await sayEhlo();
    if (tlsMode === 'starttls') {
      startTlsOffered = ehlo.extensions.includes('STARTTLS');
      authBeforeTls = ehlo.extensions.includes('AUTH');
      begin('tls');
      // Sent even when not offered, as the send path does: the refusal is the answer to report.
      expect(await dialogue.send('STARTTLS', 'STARTTLS'), [220], 'ETLS', 'STARTTLS');
      await startTls(destination);
      pass();
      await sayEhlo();
      authAfterTls = ehlo.extensions.includes('AUTH');
    } else if (tlsMode === 'none') {
      startTlsOffered = ehlo.extensions.includes('STARTTLS');
    }

    // `none` is for unauthenticated relays: credentials are never sent in clear.
    let signIn: SmtpAuthSettings | undefined;
    if (tlsMode === 'none') {
      skip('auth');
    } else {
      if (family === 'oauth2') begin('token');
      else begin('auth');
      signIn = await resolveAuth(server, deps);
      // The strategy's own array: a token refreshed during sign-in is redacted too.
      if (signIn) attempt.secrets = signIn.secrets;
      if (family === 'oauth2') pass();
      if (!signIn) skip('auth');
      else await authenticate(signIn);
    }

    if (input.fromAddress) {
      begin('sender');
      pass(
        expect(await dialogue.send(`MAIL FROM:<${input.fromAddress}>`, 'MAIL FROM'), [250], 'EENVELOPE', 'MAIL FROM'),
      );
      if (input.toAddress) {
        begin('recipient');
        pass(
          expect(await dialogue.send(`RCPT TO:<${input.toAddress}>`, 'RCPT TO'), [250, 251], 'EENVELOPE', 'RCPT TO'),
        );
      }
      begin('reset');
      pass(expect(await dialogue.send('RSET', 'RSET'), [250], 'EPROTOCOL', 'RSET'));
    }
    await quit();
  } catch (error) {
    const diagnosis = diagnoseSmtpError(error, attempt);
    let stage = current?.stage ?? 'dns';
    if (isNoSmtpDiagnosis(diagnosis)) {
      // Until a 220 greeting the peer is not known to be SMTP: closed, silent and foreign ports read
      // alike (one stage, nothing it sent, no certificate) and answer at one moment, as /test does.
      stage = 'connect';
      stages.splice(0, stages.length, ...stages.filter((entry) => entry.stage === 'dns'));
      tls = undefined;
      const answerAt = connectStarted + settings.connectionTimeoutMs + settings.greetingTimeoutMs;
      if (answerAt > performance.now()) await sleep(answerAt - performance.now());
      current = { stage, started: connectStarted };
    }
    stages.push({
      stage,
      outcome: 'failed',
      durationMs: elapsed(),
      ...(diagnosis.reply ? { reply: diagnosis.reply } : {}),
    });
    current = undefined;
    failure = {
      stage,
      ...(diagnosis.hint ? { hint: diagnosis.hint } : {}),
      ...(diagnosis.reply ? { reply: diagnosis.reply } : {}),
      retryable: diagnosis.retryable,
    };
    // A server that answered a refusal is still talking: leave politely, as the send path does.
    const answered = (error as { responseCode?: number }).responseCode !== undefined;
    if (answered && stage !== 'greeting' && sessionOpen) await quit().catch(() => undefined);
  } finally {
    dialogue?.close();
  }

  const advisories = [
    ...(tls ? tlsAdvisories(tls) : []),
    ...sessionAdvisories({ tlsMode, port: server.port, startTlsOffered, authBeforeTls, authAfterTls }),
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

  async function authenticate(signIn: SmtpAuthSettings): Promise<void> {
    begin('auth');
    const session = dialogue!;
    let last: SmtpReply | undefined;
    const command = async (line: string, name: string) => {
      last = await session.send(line, name);
      return last;
    };
    const refused = (name: string) =>
      dialogueError('Invalid login', { code: 'EAUTH', command: name, response: last?.text, responseCode: last?.code });
    const custom = signIn.customAuth?.XOAUTH2;
    if (custom) {
      const context = {
        auth: { credentials: { user: server.username } },
        method: 'XOAUTH2',
        extensions: ehlo.extensions,
        authMethods: ehlo.mechanisms,
        maxAllowedSize: false,
        sendCommand: async (line: string) => {
          const reply = await command(line, 'AUTH XOAUTH2');
          return { command: 'AUTH XOAUTH2', response: reply.text, status: reply.code, text: reply.text };
        },
      } as unknown as SMTPConnectionCustomAuthContext;
      await Promise.resolve(custom(context)).catch(() => {
        throw refused('AUTH XOAUTH2');
      });
      return pass(last);
    }
    const { user, pass: password } = signIn.auth as { user?: string; pass?: string };
    const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
    if (ehlo.mechanisms.includes('LOGIN') && !ehlo.mechanisms.includes('PLAIN')) {
      if ((await command('AUTH LOGIN', 'AUTH LOGIN')).code !== 334) throw refused('AUTH LOGIN');
      if ((await command(base64(user ?? ''), 'AUTH LOGIN')).code !== 334) throw refused('AUTH LOGIN');
      if ((await command(base64(password ?? ''), 'AUTH LOGIN')).code !== 235) throw refused('AUTH LOGIN');
    } else if (
      (await command(`AUTH PLAIN ${base64(`\0${user ?? ''}\0${password ?? ''}`)}`, 'AUTH PLAIN')).code !== 235
    ) {
      throw refused('AUTH PLAIN');
    }
    pass(last);
  }

  async function quit(): Promise<void> {
    begin('quit');
    const reply = await dialogue!.send('QUIT', 'QUIT');
    sessionOpen = false;
    pass(reply);
  }
}
