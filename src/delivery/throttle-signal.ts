import type { SmtpDiagnosis } from '../smtp/diagnosis.ts';

/**
 * What a throttle reply objects to: too many sessions at once (`432 4.3.2`, "concurrent connections
 * limit"), which says nothing about the send rate, or anything else, read as sending too fast.
 */
export type ThrottledLimit = 'connections' | 'rate';

/** What a failed attempt says about its server, beyond this one message. */
export type ServerSignal =
  | { kind: 'throttle'; reason: string; limit: ThrottledLimit }
  | { kind: 'connection'; reason: string }
  | { kind: 'none' };

// Provider wording for "slow down", whatever reply code carries it.
const THROTTLE_TEXT =
  /concurrent connections? limit|too many (concurrent )?(connections|messages|sessions)|rate limit|throttl|submission rate|sending quota|try again later/i;
const CONNECTION_LIMIT_TEXT = /concurrent connections? limit|too many (concurrent )?(connections|sessions)/i;
// Stages at which no SMTP session was set up yet: the server, not the message, is unreachable.
const CONNECTION_STAGES = new Set(['connect', 'dns', 'tls', 'greeting']);

/** The enhanced status code (`4.7.0`) at the start of a reply text, if any. */
function enhancedOf(text: string): string | undefined {
  return /^(?:\d{3}[ -])?([245]\.\d{1,3}\.\d{1,3})\b/.exec(text.trim())?.[1];
}

/**
 * Reads a failure as a server-wide signal: a throttle reply (421, 432 4.3.2, 450/451 4.7.x,
 * 452 4.5.3, 454 4.7.0, or provider wording such as "concurrent connections limit exceeded")
 * lowers the server's rate; a connection-level failure (refused, reset, TLS, timeout, no greeting)
 * counts toward its circuit; anything else is the message's own business.
 */
export function serverSignalOf(failure: SmtpDiagnosis | undefined): ServerSignal {
  if (!failure || failure.refused || failure.undecryptable) return { kind: 'none' };
  const reply = failure.reply;
  if (reply && reply.code >= 400 && reply.code < 500) {
    const enhanced = enhancedOf(reply.text) ?? '';
    const code = reply.code;
    const throttle =
      code === 421 ||
      code === 432 ||
      ((code === 450 || code === 451) && enhanced.startsWith('4.7.')) ||
      (code === 452 && enhanced === '4.5.3') ||
      (code === 454 && enhanced === '4.7.0') ||
      THROTTLE_TEXT.test(reply.text);
    if (throttle) {
      const limit =
        code === 432 || enhanced === '4.3.2' || CONNECTION_LIMIT_TEXT.test(reply.text) ? 'connections' : 'rate';
      return { kind: 'throttle', reason: `${code} ${reply.text}`.slice(0, 200), limit };
    }
    return { kind: 'none' };
  }
  if (reply) return { kind: 'none' };
  if (failure.kind === 'connection' && (failure.notSmtp || CONNECTION_STAGES.has(failure.stage ?? 'connect'))) {
    return { kind: 'connection', reason: (failure.hint ?? failure.error ?? 'the connection failed').slice(0, 200) };
  }
  return { kind: 'none' };
}
