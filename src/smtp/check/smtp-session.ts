import { performance } from 'node:perf_hooks';
import type { SMTPConnectionCustomAuthContext } from 'nodemailer/lib/smtp-connection';
import type { SmtpSettings } from '../../config.ts';
import { AUTH_TYPE_CATALOGUE } from '../../schemas/auth-types.ts';
import type { CheckStage, CheckStageReport, TlsReport } from '../../schemas/email-server-check.ts';
import type { TlsMode } from '../../schemas/tls-modes.ts';
import type { SmtpAuthSettings } from '../auth-strategy.ts';
import { diagnoseSmtpError, type SmtpAttempt } from '../classify-error.ts';
import {
  createDestinationPolicy,
  DestinationError,
  resolveDestination,
  type VettedDestination,
} from '../destination-guard.ts';
import { type SmtpDiagnosis, SmtpFailure } from '../diagnosis.ts';
import type { DnsResolver } from '../dns-resolver.ts';
import { isNoSmtpDiagnosis } from '../not-smtp.ts';
import { cleanReply, redactCredentials } from '../redact.ts';
import { effectiveTlsMode } from '../tls-mode.ts';
import { resolveAuth, type SmtpServerConfig, type SmtpTransportDeps } from '../transport.ts';
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

export interface SessionInput {
  server: SmtpServerConfig;
  fromAddress?: string;
  toAddress?: string;
  /** The raw RFC 5322 message: with it, DATA sends it after RCPT TO (instead of RSET), then QUIT. */
  message?: Buffer;
  /** The whole session's bound; past it the connection is dropped and the attempt reads as aborted. */
  deadlineMs?: number;
}

export interface SessionResult {
  tlsMode: TlsMode;
  stages: CheckStageReport[];
  /** Set when a stage failed: the stage as the check names it, and the classifier's diagnosis. */
  failed?: { stage: CheckStage; diagnosis: SmtpDiagnosis; startedAt: number };
  /** The vetted destination, once the guard passed it. */
  destination?: VettedDestination;
  tls?: TlsReport;
  ehlo: { extensions: string[]; mechanisms: string[] };
  startTlsOffered: boolean;
  authBeforeTls: boolean;
  authAfterTls?: boolean;
}

/** An EHLO reply's keywords and AUTH mechanisms. */
function readEhlo(reply: SmtpReply): { extensions: string[]; mechanisms: string[] } {
  const keywords = reply.lines.slice(1);
  const extensions = keywords.map((line) => line.split(/[\s=]/)[0].toUpperCase()).filter(Boolean);
  const auth = keywords.find((line) => /^AUTH[\s=]/i.test(line));
  const mechanisms = auth ? auth.slice(5).trim().toUpperCase().split(/\s+/).filter(Boolean) : [];
  return { extensions, mechanisms };
}

/** RFC 5321 §4.5.2: CRLF line ends, a leading dot doubled, and the lone dot that ends DATA. */
export function dataPayload(message: Buffer): Buffer {
  const text = message.toString('latin1').replace(/\r?\n/g, '\r\n');
  const stuffed = text.replace(/^\./gm, '..');
  return Buffer.from(`${stuffed}${stuffed.endsWith('\r\n') ? '' : '\r\n'}.\r\n`, 'latin1');
}

/**
 * THE staged SMTP session: DNS (through the guard), token, connect, TLS, greeting, EHLO, STARTTLS,
 * AUTH and, with addresses, MAIL FROM / RCPT TO, then DATA (with a message: /test) or RSET (the
 * check), and QUIT. Failures are read by the one classifier; this returns, it never throws for an
 * SMTP failure. Without a message nothing is delivered.
 */
export async function runSmtpSession(input: SessionInput, deps: CheckDeps): Promise<SessionResult> {
  const { server, message } = input;
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
  const result: SessionResult = {
    tlsMode,
    stages: [],
    ehlo: { extensions: [], mechanisms: [] },
    startTlsOffered: false,
    authBeforeTls: false,
  };
  const { stages } = result;
  const redacted = (reply: SmtpReply) => ({
    code: reply.code,
    text: cleanReply(redactCredentials(reply.text, attempt)),
  });
  // Set when the deadline passed: the walk may still be waiting (on a token, say) and must not go on.
  let aborted = false;
  let current: { stage: CheckStage; started: number } | undefined;
  const begin = (stage: CheckStage) => {
    if (aborted) throw dialogueError('The operation was aborted', { code: 'EABORT' });
    current = { stage, started: performance.now() };
  };
  const elapsed = () => Math.max(0, Math.round(performance.now() - (current?.started ?? performance.now())));
  const pass = (reply?: SmtpReply) => {
    if (!current || aborted) return;
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
  let sessionOpen = false;
  let connectStarted = performance.now();

  const expect = (reply: SmtpReply, codes: number[], code: string, command: string) => {
    if (codes.includes(reply.code)) return reply;
    throw dialogueError(`${command} refused`, { code, command, response: reply.text, responseCode: reply.code });
  };
  // Sending verifies in the handshake with the send path's settings; the check accepts any chain
  // so that an untrusted one can still be described, and verifies it below.
  const tlsOptions = (destination: VettedDestination) => ({
    host: destination.servername ?? destination.address,
    ...(destination.servername ? { servername: destination.servername } : {}),
    rejectUnauthorized: Boolean(message),
    minVersion: message ? ('TLSv1.2' as const) : ('TLSv1' as const),
    ...(server.caCertificate ? { ca: server.caCertificate } : {}),
  });
  const startTls = async (destination: VettedDestination) => {
    const socket = await dialogue!.upgrade(tlsOptions(destination), settings.connectionTimeoutMs).catch((error) => {
      // Implicit TLS is part of connecting: a port that stays silent has not proven to be SMTP.
      if (tlsMode === 'implicit' && error.timeoutType === 'UPGRADE_TIMEOUT')
        throw dialogueError('Connection timeout', {
          code: 'ETIMEDOUT',
          timeoutType: 'CONNECT_TIMEOUT',
          command: 'CONN',
        });
      throw error;
    });
    result.tls = describeTls(socket, server.host, deps.now());
    if (!socket.authorized) {
      const reason = String(socket.authorizationError ?? 'CERT_UNTRUSTED');
      throw dialogueError(reason, { code: 'ETLS', originalCode: reason, command: 'CONN' });
    }
    if (result.tls.protocol !== 'TLSv1.2' && result.tls.protocol !== 'TLSv1.3')
      throw dialogueError(`the server negotiated ${result.tls.protocol}`, { code: 'ETLS', command: 'CONN' });
  };
  const sayEhlo = async () => {
    begin('ehlo');
    const name = settings.ehloName ?? `[${dialogue!.localAddress ?? '127.0.0.1'}]`;
    const reply = expect(await dialogue!.send(`EHLO ${name}`, 'EHLO'), [250], 'EPROTOCOL', 'EHLO');
    result.ehlo = readEhlo(reply);
    pass(reply);
  };

  async function walk(): Promise<void> {
    begin('dns');
    const destination = await resolveDestination(server.host, server.port, createDestinationPolicy(settings), {
      lookup: deps.dns.lookup,
      timeoutMs: settings.dnsTimeoutMs,
    }).catch((error) => {
      throw error instanceof DestinationError ? SmtpFailure.fromDestination(error, server.host) : error;
    });
    result.destination = destination;
    pass();

    // Sign-in material first: a token endpoint's refusal or a password that cannot be opened is
    // reported before SMTP is contacted. `none` never sends credentials (unauthenticated relays).
    let signIn: SmtpAuthSettings | undefined;
    if (tlsMode !== 'none') {
      begin(family === 'oauth2' ? 'token' : 'auth');
      signIn = await resolveAuth(server, deps);
      // The strategy's own array: a token refreshed during sign-in is redacted too.
      if (signIn) attempt.secrets = signIn.secrets;
      if (family === 'oauth2') pass();
      current = undefined;
    }

    begin('connect');
    connectStarted = performance.now();
    dialogue = await SmtpDialogue.open(destination, settings);
    if (aborted) dialogue.close();
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
      result.startTlsOffered = result.ehlo.extensions.includes('STARTTLS');
      result.authBeforeTls = result.ehlo.extensions.includes('AUTH');
      begin('tls');
      // Sent even when not offered, as nodemailer does: the refusal is the answer to report.
      expect(await dialogue.send('STARTTLS', 'STARTTLS'), [220], 'ETLS', 'STARTTLS');
      await startTls(destination);
      pass();
      await sayEhlo();
      result.authAfterTls = result.ehlo.extensions.includes('AUTH');
    } else if (tlsMode === 'none') {
      result.startTlsOffered = result.ehlo.extensions.includes('STARTTLS');
    }

    if (signIn) await authenticate(dialogue, signIn);
    else skip('auth');

    if (input.fromAddress) {
      const smtpUtf8 =
        result.ehlo.extensions.includes('SMTPUTF8') && /[^\x00-\x7f]/.test(`${input.fromAddress}${input.toAddress}`);
      begin('sender');
      const mailFrom = `MAIL FROM:<${input.fromAddress}>${smtpUtf8 ? ' SMTPUTF8' : ''}`;
      pass(expect(await dialogue.send(mailFrom, 'MAIL FROM'), [250], 'EENVELOPE', 'MAIL FROM'));
      if (input.toAddress) {
        begin('recipient');
        pass(
          expect(await dialogue.send(`RCPT TO:<${input.toAddress}>`, 'RCPT TO'), [250, 251], 'EENVELOPE', 'RCPT TO'),
        );
      }
      if (message && input.toAddress) {
        begin('data');
        expect(await dialogue.send('DATA', 'DATA'), [354], 'EENVELOPE', 'DATA');
        pass(expect(await dialogue.sendData(dataPayload(message), 'DATA'), [250], 'EMESSAGE', 'DATA'));
      } else {
        begin('reset');
        pass(expect(await dialogue.send('RSET', 'RSET'), [250], 'EPROTOCOL', 'RSET'));
      }
    }
    await quit();
  }

  let deadline: NodeJS.Timeout | undefined;
  try {
    const walking = walk();
    walking.catch(() => undefined);
    const overdue = new Promise<never>((_, reject) => {
      if (input.deadlineMs === undefined) return;
      deadline = setTimeout(() => {
        aborted = true;
        // No command: an overrun is the whole attempt's, read as nodemailer's aborted send is.
        reject(Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'EABORT' }));
        dialogue?.close();
      }, input.deadlineMs);
    });
    await Promise.race([walking, overdue]);
  } catch (error) {
    const diagnosis = diagnoseSmtpError(error, attempt);
    let stage = current?.stage ?? 'dns';
    if (isNoSmtpDiagnosis(diagnosis)) {
      // Until a 220 greeting the peer is not known to be SMTP: closed, silent and foreign ports read
      // alike (one stage, nothing it sent, no certificate); callers answer them at one moment.
      stage = 'connect';
      stages.splice(0, stages.length, ...stages.filter((entry) => entry.stage === 'dns'));
      result.tls = undefined;
      current = { stage, started: connectStarted };
    }
    result.failed = { stage, diagnosis, startedAt: current?.started ?? connectStarted };
    stages.push({
      stage,
      outcome: 'failed',
      durationMs: elapsed(),
      ...(diagnosis.reply ? { reply: diagnosis.reply } : {}),
    });
    current = undefined;
    // A server that answered a refusal is still talking: leave politely, as nodemailer does. Not a
    // peer that never proved to be SMTP: it is sent nothing more.
    const answered = (error as { responseCode?: number }).responseCode !== undefined;
    if (answered && stage !== 'greeting' && !diagnosis.notSmtp && sessionOpen) await quit().catch(() => undefined);
  } finally {
    aborted = true;
    clearTimeout(deadline);
    dialogue?.close();
  }
  return result;

  async function authenticate(session: SmtpDialogue, signIn: SmtpAuthSettings): Promise<void> {
    begin('auth');
    let last: SmtpReply | undefined;
    const command = async (line: string, name: string) => {
      last = await session.send(line, name);
      return last;
    };
    const refused = (name: string) =>
      dialogueError('Invalid login', { code: 'EAUTH', command: name, response: last?.text, responseCode: last?.code });
    const custom = signIn.customAuth?.XOAUTH2;
    const { ehlo } = result;
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
