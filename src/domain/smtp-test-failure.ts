import type { SmtpDiagnosis } from '../smtp/diagnosis.ts';
import { DomainError, type ErrorKind } from './errors.ts';

/**
 * The test policy: a failed test is reported as one of three kinds, from the diagnosis's kind.
 * Every refusal, connection, TLS or protocol failure is a connection failure; which Okta code each
 * kind answers is the HTTP edge's business.
 */
const KIND_OF = {
  auth: 'smtp_auth_failed',
  token: 'oauth_token_failed',
  connection: 'smtp_connection_failed',
} as const satisfies Record<SmtpDiagnosis['kind'], ErrorKind>;

export type SmtpTestFailureKind = (typeof KIND_OF)[keyof typeof KIND_OF];

/** A test message that did not go through, with the diagnosis as data for the edge to render. */
export class SmtpTestFailure extends DomainError {
  declare readonly kind: SmtpTestFailureKind;

  constructor(readonly diagnosis: SmtpDiagnosis) {
    super(
      KIND_OF[diagnosis.kind],
      `SMTP test failed at ${diagnosis.stage ?? 'destination'} (${diagnosis.code ?? 'no code'})`,
      {
        retryable: diagnosis.retryable,
        // Okta's E0000266 summary quotes it ("Failure details: {0}.").
        detail: diagnosis.detail,
      },
    );
    this.name = 'SmtpTestFailure';
  }
}
