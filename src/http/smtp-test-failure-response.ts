import type { FieldProblem } from '../domain/errors.ts';
import type { SmtpTestFailure } from '../domain/smtp-test-failure.ts';
import type { SmtpTestDiagnosis } from '../schemas/email-server-test.ts';
import type { SmtpDiagnosis } from '../smtp/diagnosis.ts';
import { ApiError } from './api-error.ts';

/**
 * The diagnosis as Okta `errorCauses`, one `field: message` line each, always in this order:
 * stage, reply, certificateSubject, certificateIssuer, tlsError, error, error_description, hint.
 * A refused destination has the single cause `destination: the destination is not allowed`.
 */
export function diagnosisCauses(diagnosis: SmtpDiagnosis): FieldProblem[] {
  if (diagnosis.refused) return [{ field: 'destination', message: 'the destination is not allowed' }];
  const causes: FieldProblem[] = [];
  if (diagnosis.stage) causes.push({ field: 'stage', message: diagnosis.stage });
  if (diagnosis.reply) causes.push({ field: 'reply', message: diagnosis.reply.text });
  if (diagnosis.tls?.subject) causes.push({ field: 'certificateSubject', message: diagnosis.tls.subject });
  if (diagnosis.tls?.issuer) causes.push({ field: 'certificateIssuer', message: diagnosis.tls.issuer });
  if (diagnosis.tls?.reason) causes.push({ field: 'tlsError', message: diagnosis.tls.reason });
  // A token endpoint's refusal (E0000266), in OAuth's own words (RFC 6749 §5.2).
  if (diagnosis.oauth?.error) causes.push({ field: 'error', message: diagnosis.oauth.error });
  if (diagnosis.oauth?.errorDescription)
    causes.push({ field: 'error_description', message: diagnosis.oauth.errorDescription });
  if (diagnosis.hint) causes.push({ field: 'hint', message: diagnosis.hint });
  return causes;
}

/** The same facts as data; never the local error or code, which may name internal addresses. */
export function presentDiagnosis(diagnosis: SmtpDiagnosis): SmtpTestDiagnosis {
  // A refused destination says nothing more, so the endpoint cannot map internal networks.
  if (diagnosis.refused) return { refused: true };
  const { stage, reply, tls, oauth, hint } = diagnosis;
  return {
    ...(stage ? { stage } : {}),
    ...(reply ? { reply: { code: reply.code, text: reply.text } } : {}),
    ...(tls ? { tls: { subject: tls.subject, issuer: tls.issuer, reason: tls.reason } } : {}),
    ...(oauth?.error || oauth?.errorDescription
      ? { oauth: { error: oauth.error, errorDescription: oauth.errorDescription } }
      : {}),
    ...(hint ? { hint } : {}),
  };
}

/** Okta's envelope for a failed test; with `withDiagnosis`, the `diagnosis` extension after Okta's fields. */
export function smtpTestFailureResponse(failure: SmtpTestFailure, options: { withDiagnosis: boolean }): ApiError {
  return new ApiError(failure.kind, {
    causes: diagnosisCauses(failure.diagnosis),
    detail: failure.detail,
    ...(options.withDiagnosis ? { extensions: { diagnosis: presentDiagnosis(failure.diagnosis) } } : {}),
  });
}
