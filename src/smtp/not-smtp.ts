import type { SmtpDiagnosis } from './diagnosis.ts';

/**
 * Failures before a destination has proven it is an SMTP server (no `220` greeting yet). Refused,
 * unreachable, filtered, silent and "answered something else" all read the same, with nothing the
 * peer sent: otherwise /test and delivery attempts would tell open from closed ports and echo the
 * banners of SSH, Redis or HTTP services on the operator's network.
 */

interface EarlyError {
  code?: string;
  originalCode?: string;
  command?: string;
  timeoutType?: string;
  message?: string;
  response?: string;
}

const NO_CONNECTION = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'EHOSTDOWN',
  'ETIMEDOUT',
]);
const DROPPED = new Set(['ECONNRESET', 'EPIPE']);

export function spokeNoSmtp(err: EarlyError): boolean {
  const original = err.originalCode ?? '';
  if (NO_CONNECTION.has(original)) return true;
  if (err.timeoutType === 'CONNECT_TIMEOUT' || err.timeoutType === 'GREETING_TIMEOUT') return true;
  if (err.code === 'EPROTOCOL' && /^Invalid greeting/.test(err.message ?? '')) return true;
  // Closed before any reply: a wrapped port, or a service that hung up on the first bytes it saw.
  const early = err.command === 'CONN' && !err.response;
  return early && (err.code === 'ECONNECTION' || DROPPED.has(original));
}

/**
 * A greeting of `421` or `432` (busy, too many connections) is a server turning this client away
 * for now, not another protocol: it is reported with its code, in our words, never the peer's.
 */
export function busyGreetingDiagnosis(err: EarlyError, where: string): SmtpDiagnosis | undefined {
  if (err.code !== 'EPROTOCOL' || !/^Invalid greeting/.test(err.message ?? '')) return undefined;
  const code = /^(421|432)[ -]/.exec(err.response ?? '')?.[1];
  if (!code) return undefined;
  return {
    kind: 'connection',
    stage: 'greeting',
    retryable: true,
    reply: { code: Number(code), text: `${code} the server at ${where} turned the connection away for now` },
    hint: `${code}: the server is busy or limits concurrent connections: try again later`,
    code: 'EPROTOCOL',
  };
}

export function noSmtpDiagnosis(where: string, code: string | undefined): SmtpDiagnosis {
  const hint = `nothing at ${where} answered as an SMTP server: check the host and port (587 for STARTTLS, 465 for implicit TLS), firewalls, and that the server is running`;
  // `code` stays for the operator's logs; `error` is what delivery records, so it says no more than the hint.
  return {
    kind: 'connection',
    stage: 'connect',
    notSmtp: true,
    retryable: true,
    hint,
    code,
    error: 'the server did not answer as an SMTP server',
  };
}

/** True for the diagnosis above: a destination that has not proven to be an SMTP server. */
export function isNoSmtpDiagnosis(diagnosis: SmtpDiagnosis): boolean {
  return diagnosis.kind === 'connection' && diagnosis.stage === 'connect' && diagnosis.notSmtp === true;
}
