import type { SmtpStage } from '../schemas/email-server-test.ts';
import { MissingKeyError } from '../secrets/secret-box.ts';
import type { DestinationError, RefusalRule } from './destination-guard.ts';

export type { SmtpStage };

/**
 * What went wrong talking to an SMTP server, in terms an admin can act on. One value for both
 * policies: the /test endpoint's (which Okta error, rendered at the HTTP edge) and delivery's
 * (permanent or retry).
 */

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
  /** The destination never spoke SMTP (no 220 greeting): nothing it sent is quoted. */
  notSmtp?: boolean;
  /** True when the destination guard refused to connect. */
  refused?: boolean;
  /** The guard's rule that refused it: for the operator's logs, never rendered into answers. */
  refusedBy?: RefusalRule;
  /** A later attempt may succeed (timeouts, connection trouble, 4xx replies). */
  retryable: boolean;
  /**
   * A stored secret or the message content could not be decrypted (a key this instance lacks, or an
   * edited row): this service's configuration, so retrying for days cannot help.
   */
  undecryptable?: boolean;
  /** nodemailer's or Node's error code, for logs (never shown with secrets). */
  code?: string;
  /**
   * The local error as one line (`ESOCKET: connect ECONNREFUSED ...`), credentials redacted: what
   * delivery records when the server sent no reply. /test never shows it (it may name addresses).
   */
  error?: string;
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

  static secretUnavailable(cause: unknown, what = 'password'): SmtpFailure {
    const failure = new SmtpFailure({
      kind: 'auth',
      stage: 'auth',
      retryable: false,
      undecryptable: true,
      // A missing key is this instance's configuration: setting the secret again would not help the others.
      hint:
        cause instanceof MissingKeyError
          ? `the stored ${what} cannot be decrypted: ${cause.message}`
          : `the stored ${what} cannot be decrypted with the configured encryption keys: set the ${what} again`,
    });
    failure.cause = cause;
    return failure;
  }

  /** Queued content that cannot be opened never will be by retrying: fail it, saying why. */
  static contentUnavailable(cause: unknown): SmtpFailure {
    const failure = new SmtpFailure({
      kind: 'connection',
      retryable: false,
      undecryptable: true,
      hint: `the message content cannot be decrypted: ${cause instanceof Error ? cause.message : 'unknown error'}`,
    });
    failure.cause = cause;
    return failure;
  }
}
