import type { TlsMode } from '../schemas/tls-modes.ts';
import { type SmtpDiagnosis, SmtpFailure, type SmtpStage } from './diagnosis.ts';
import { busyGreetingDiagnosis, noSmtpDiagnosis, spokeNoSmtp } from './not-smtp.ts';
import { cleanReply, redactCredentials, type SmtpCredentials } from './redact.ts';

/**
 * What the classifier needs to know about the attempt. The credentials are redacted from every
 * reply and error text the diagnosis quotes.
 */
export interface SmtpAttempt extends SmtpCredentials {
  host: string;
  port: number;
  tlsMode: TlsMode;
  /** Whether the server has its own CA certificate (which then replaces the public roots). */
  customCa?: boolean;
}

interface NodemailerLikeError {
  code?: string;
  originalCode?: string;
  command?: string;
  response?: string;
  responseCode?: number;
  timeoutType?: string;
  message?: string;
  name?: string;
}

const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const CERTIFICATE_TEXT =
  /self[- ]signed certificate|unable to verify the first certificate|unable to get (local )?issuer certificate|certificate has expired|certificate is not yet valid|certificate (signature failure|revoked)|does not match certificate's altnames|Hostname\/IP does not match/i;
const PLAIN_SMTP_UNDER_TLS =
  /wrong version number|packet length too long|unknown protocol|http request|record layer failure/i;

function stageOfCommand(command: string): SmtpStage | undefined {
  if (command.startsWith('AUTH')) return 'auth';
  if (command === 'MAIL FROM') return 'sender';
  if (command === 'RCPT TO') return 'recipient';
  if (command === 'DATA') return 'data';
  if (command === 'STARTTLS') return 'tls';
  if (command === 'EHLO' || command === 'HELO' || command === 'LHLO') return 'greeting';
  return undefined;
}

/**
 * THE classifier: reads a failed send (nodemailer or socket error, SmtpFailure, abort) into a
 * diagnosis that the /test and delivery policies both decide from.
 */
export function diagnoseSmtpError(error: unknown, attempt: SmtpAttempt): SmtpDiagnosis {
  if (error instanceof SmtpFailure) return error.diagnosis;
  const err = (error ?? {}) as NodemailerLikeError;
  const code = err.code ?? '';
  const original = err.originalCode ?? '';
  const command = err.command ?? '';
  const message = err.message ?? '';
  const where = `${attempt.host}:${attempt.port}`;
  const clean = (text: string) => cleanReply(redactCredentials(text, attempt));
  const reply = err.response ? { code: err.responseCode ?? 0, text: clean(err.response) } : undefined;
  const transient = reply ? reply.code >= 400 && reply.code < 500 : false;
  const local = [err.code, message].filter(Boolean).join(': ') || String(error);
  const base = { code: original || code, error: clean(local), ...(reply ? { reply } : {}) };
  const busy = busyGreetingDiagnosis(err, where);
  if (busy) return busy;
  if (spokeNoSmtp(err)) return noSmtpDiagnosis(where, original || code);

  if (code === 'EAUTH' || code === 'ENOAUTH' || code === 'EOAUTH2' || command.startsWith('AUTH')) {
    return { ...base, kind: 'auth', stage: 'auth', retryable: transient, hint: authHint(reply?.code) };
  }

  if (CERTIFICATE_CODES.has(original) || CERTIFICATE_TEXT.test(message)) {
    const reason = certificateReason(original, message);
    return {
      ...base,
      kind: 'connection',
      stage: 'tls',
      retryable: false,
      tls: { reason },
      hint: certificateHint(original, message, attempt),
    };
  }
  if (original === 'ERR_SSL_WRONG_VERSION_NUMBER' || PLAIN_SMTP_UNDER_TLS.test(message)) {
    const hint =
      attempt.tlsMode === 'implicit'
        ? `the server on port ${attempt.port} speaks plain SMTP (STARTTLS), not implicit TLS: set tlsMode to starttls`
        : 'the server answered the TLS handshake with something that is not TLS: check the port and the TLS mode';
    return { ...base, kind: 'connection', stage: 'tls', retryable: false, tls: { reason: tlsReason(message) }, hint };
  }
  if (command === 'STARTTLS') {
    const hint = reply
      ? `the server refused STARTTLS (${reply.code}): mailroute never signs in or sends without TLS on port ${attempt.port}; enable STARTTLS on the server, use the server's implicit-TLS port with tlsMode implicit, or set tlsMode none for an unauthenticated relay`
      : `the STARTTLS upgrade failed (${tlsReason(message)}): the server may offer only TLS versions or ciphers older than TLS 1.2`;
    const reason = reply ? 'the server did not accept STARTTLS' : tlsReason(message);
    return { ...base, kind: 'connection', stage: 'tls', retryable: transient, tls: { reason }, hint };
  }
  if (
    code === 'ETLS' ||
    original.startsWith('ERR_SSL') ||
    original === 'EPROTO' ||
    err.timeoutType === 'UPGRADE_TIMEOUT'
  ) {
    const hint =
      err.timeoutType === 'UPGRADE_TIMEOUT'
        ? 'the TLS handshake did not finish in time'
        : `the TLS handshake failed (${tlsReason(message)}): the server may offer only TLS versions or ciphers older than TLS 1.2`;
    return {
      ...base,
      kind: 'connection',
      stage: 'tls',
      retryable: err.timeoutType === 'UPGRADE_TIMEOUT',
      tls: { reason: tlsReason(message) },
      hint,
    };
  }

  if (code === 'EDNS') {
    return {
      ...base,
      kind: 'connection',
      stage: 'dns',
      retryable: true,
      hint: `resolving ${attempt.host} failed: check the host name`,
    };
  }

  const commandStage = stageOfCommand(command);
  if (commandStage === 'sender' || commandStage === 'recipient' || commandStage === 'data') {
    return {
      ...base,
      kind: 'connection',
      stage: commandStage,
      retryable: reply ? transient : true,
      hint: envelopeHint(commandStage, reply?.code),
    };
  }
  if (code === 'EMESSAGE') {
    return {
      ...base,
      kind: 'connection',
      stage: 'data',
      retryable: transient,
      hint: envelopeHint('data', reply?.code),
    };
  }
  if (code === 'EABORT' || err.name === 'AbortError') {
    return {
      ...base,
      kind: 'connection',
      stage: commandStage ?? 'greeting',
      retryable: true,
      hint: 'the attempt did not finish within its deadline: the server answers too slowly',
    };
  }
  if (err.timeoutType === 'SOCKET_TIMEOUT') {
    return {
      ...base,
      kind: 'connection',
      stage: commandStage ?? 'greeting',
      retryable: true,
      hint: 'the server stopped answering in the middle of the session',
    };
  }

  if (commandStage === 'greeting') {
    return {
      ...base,
      kind: 'connection',
      stage: 'greeting',
      retryable: transient,
      hint: 'the server did not accept EHLO or HELO',
    };
  }
  if (code === 'ECONNECTION' || original === 'ECONNRESET' || original === 'EPIPE') {
    return {
      ...base,
      kind: 'connection',
      stage: commandStage ?? 'greeting',
      retryable: true,
      hint: `the server on port ${attempt.port} closed the connection before the session was set up: ${
        attempt.tlsMode === 'implicit'
          ? 'it may not speak TLS on this port'
          : 'it may expect implicit TLS (tlsMode implicit)'
      }, limit connections, or refuse this client`,
    };
  }
  return {
    ...base,
    kind: 'connection',
    stage: commandStage ?? 'connect',
    retryable: true,
    hint: `the SMTP session failed (${original || code || 'unknown error'})`,
  };
}

function authHint(code: number | undefined): string {
  switch (code) {
    case 535:
      return '535: the server rejected the username or password';
    case 534:
      return '534: the server wants a different sign-in method (an app password or OAuth 2.0)';
    case 530:
    case 538:
      return `${code}: the server requires encryption before sign-in`;
    case 454:
      return '454: temporary authentication failure: try again later';
    case 500:
    case 502:
    case 503:
    case 504:
      return `${code}: the server does not offer AUTH on this connection: check the port, or use tlsMode none for an unauthenticated relay`;
    default:
      return code ? `${code}: the server refused the sign-in` : 'the sign-in failed before the server answered';
  }
}

function certificateReason(code: string, message: string): string {
  const match = CERTIFICATE_TEXT.exec(message);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'the certificate does not name this host';
  return match
    ? message
        .slice(match.index)
        .split(/[:\r\n]/)[0]
        .trim()
    : code.toLowerCase().replaceAll('_', ' ');
}

function certificateHint(code: string, message: string, attempt: SmtpAttempt): string {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /altnames|does not match/i.test(message)) {
    return `the certificate does not name ${attempt.host}: use a host name the certificate lists, or fix the certificate`;
  }
  if (code === 'CERT_HAS_EXPIRED' || /expired/i.test(message))
    return 'the certificate has expired: renew it on the server';
  if (code === 'CERT_NOT_YET_VALID' || /not yet valid/i.test(message))
    return "the certificate is not valid yet: check the server's clock and certificate";
  // A given CA replaces the public roots, so "add the CA" would be wrong advice: the one given is not it.
  if (attempt.customCa)
    return "the given CA certificate (caCertificate) does not sign this server's certificate: set the CA that issued it, or remove caCertificate if a public CA did";
  return 'the certificate is not trusted: add the CA certificate (caCertificate) or use a certificate from a public CA';
}

function tlsReason(message: string): string {
  // OpenSSL messages look like `80DC...:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/...`.
  const openssl = /SSL routines:[^:]*:([^:]+)/.exec(message);
  return cleanReply(openssl ? openssl[1] : message.replace(/^Error initiating TLS - /, '')).slice(0, 200);
}

function envelopeHint(stage: 'sender' | 'recipient' | 'data', code: number | undefined): string {
  const prefix = code ? `${code}: ` : '';
  if (code !== undefined && code >= 400 && code < 500)
    return `${prefix}the server refused temporarily (busy, greylisting or a rate limit): try again later`;
  if (stage === 'sender')
    return `${prefix}the server refused the sender address: use an address this account may send as`;
  if (stage === 'recipient')
    return `${prefix}the server refused the recipient: check the address, and that the server relays to its domain for this account`;
  return `${prefix}the server refused the message`;
}
