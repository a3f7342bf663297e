import type { DestinationError, RefusalRule } from './destination-guard.ts';

/**
 * What went wrong talking to an SMTP server, in terms an admin can act on. Shared by the /test
 * endpoint (rendered into Okta's errorCauses) and delivery (stage, reply code, retryable).
 */

export const SMTP_STAGES = ['dns', 'connect', 'tls', 'greeting', 'auth', 'sender', 'recipient', 'data'] as const;
export type SmtpStage = (typeof SMTP_STAGES)[number];

export interface TlsFacts {
  /** Certificate subject and issuer, e.g. `CN=mail.example.com`. */
  subject?: string;
  issuer?: string;
  /** Why it was not trusted, e.g. `self-signed certificate in certificate chain`. */
  reason?: string;
}

/** What an OAuth 2.0 token endpoint answered when it refused to issue an access token (RFC 6749 §5.2). */
export interface OAuthErrorFacts {
  /** The endpoint's `error`, e.g. `invalid_client`. */
  error?: string;
  /** The endpoint's `error_description`, cleaned and bounded. */
  errorDescription?: string;
  /** The HTTP status of the token response, when one came. */
  status?: number;
}

export interface SmtpDiagnosis {
  /**
   * `auth` → E0000224; `token` (no OAuth 2.0 access token could be had) → E0000266; everything else
   * (connection, DNS, TLS, protocol, refusals) → E0000223.
   */
  kind: 'connection' | 'auth' | 'token';
  /** Unset only for a refused destination, which says nothing beyond "not allowed". */
  stage?: SmtpStage;
  /** The server's reply, credentials redacted. */
  reply?: { code: number; text: string };
  tls?: TlsFacts;
  hint?: string;
  /** True when the destination guard refused to connect. */
  refused?: boolean;
  /** The guard's rule that refused it: for the operator's logs, never rendered into answers. */
  refusedBy?: RefusalRule;
  /** A later attempt may succeed (timeouts, connection trouble, 4xx replies). */
  retryable: boolean;
  /** nodemailer's or Node's error code, for logs (never shown with secrets). */
  code?: string;
  /** Kind `token`: the token endpoint's OAuth error. */
  oauth?: OAuthErrorFacts;
  /** Kind `token`: the failure in a few words, for Okta's summary ("Failure details: {0}."). */
  detail?: string;
}

/** A failure before any byte was sent: guard, DNS, unusable stored credentials. */
export class SmtpFailure extends Error {
  constructor(readonly diagnosis: SmtpDiagnosis) {
    super(diagnosis.hint ?? `SMTP ${diagnosis.stage ?? 'destination'} failed`);
    this.name = 'SmtpFailure';
  }

  static fromDestination(error: DestinationError, host: string): SmtpFailure {
    if (error.reason === 'refused') {
      return new SmtpFailure({
        kind: 'connection',
        refused: true,
        refusedBy: error.rule,
        retryable: false,
        hint: 'the destination is not allowed',
      });
    }
    const hint =
      error.reason === 'not_found'
        ? `the host name ${host} does not resolve: check the host for typos`
        : error.reason === 'dns_timeout'
          ? `resolving ${host} timed out: the DNS resolver of this service did not answer in time`
          : `resolving ${host} failed (${error.code}): check the host and this service's DNS`;
    return new SmtpFailure({
      kind: 'connection',
      stage: 'dns',
      retryable: error.reason !== 'not_found',
      hint,
      code: error.code,
    });
  }

  static unsupportedAuth(authType: string): SmtpFailure {
    return new SmtpFailure({
      kind: 'auth',
      stage: 'auth',
      retryable: false,
      hint: `the sign-in method ${authType} is not supported by this service`,
    });
  }

  static secretUnavailable(cause: unknown): SmtpFailure {
    const failure = new SmtpFailure({
      kind: 'auth',
      stage: 'auth',
      retryable: false,
      hint: 'the stored password cannot be decrypted with the configured encryption keys: set the password again',
    });
    failure.cause = cause;
    return failure;
  }
}

/** Replaces every form of the secrets a server might echo back (plain, base64, AUTH PLAIN token). */
export function redact(text: string, secrets: readonly string[], username?: string): string {
  let out = text;
  for (const secret of secrets.filter((s) => s.length > 0)) {
    const forms = [secret, Buffer.from(secret).toString('base64')];
    if (username !== undefined) forms.push(Buffer.from(`\0${username}\0${secret}`).toString('base64'));
    for (const form of forms) out = out.split(form).join('[redacted]');
  }
  return out;
}

/** Server replies are untrusted text: one line, printable, bounded. */
export function cleanReply(text: string): string {
  const line = text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
