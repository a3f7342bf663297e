import type { FailureScope } from '../schemas/message-statuses.ts';
import type { SmtpDiagnosis } from '../smtp/diagnosis.ts';

/** 421: the server is closing the session, whatever the command; it would refuse any message. */
const SERVICE_UNAVAILABLE = 421;

/**
 * Whether a failed attempt is the server's problem or only this message's. A refused recipient
 * (RCPT) or refused content (DATA) is the message's: other mail still goes through. Everything
 * before that (connect, TLS, greeting, sign-in, sender) fails every message alike.
 */
export function failureScopeOf(failure: SmtpDiagnosis): FailureScope {
  if (failure.reply?.code === SERVICE_UNAVAILABLE) return 'server';
  return failure.stage === 'recipient' || failure.stage === 'data' ? 'message' : 'server';
}
