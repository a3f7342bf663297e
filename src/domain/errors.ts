/**
 * Errors the domain raises. Each has a stable kind; the HTTP edge maps kinds to status codes and
 * Okta error codes in one table at the HTTP edge. Nothing here knows about HTTP.
 */
export type ErrorKind =
  | 'invalid_input'
  | 'not_found'
  | 'one_enabled_server'
  | 'enrolment_limit'
  | 'smtp_connection_failed'
  | 'smtp_auth_failed'
  | 'oauth_token_failed'
  | 'too_many_in_flight'
  | 'unavailable';

/** One problem with one field, rendered as Okta's `errorCauses` entry `field: message`. */
export interface FieldProblem {
  field: string;
  message: string;
}

export interface DomainErrorOptions {
  /** Field problems (validation) or diagnostic lines (SMTP) shown to the caller. */
  causes?: FieldProblem[];
  /** Values substituted into the error summary, such as the resource id or a limit. */
  detail?: string;
  retryable?: boolean;
  cause?: unknown;
}

export class DomainError extends Error {
  readonly kind: ErrorKind;
  readonly causes: FieldProblem[];
  readonly detail?: string;
  readonly retryable: boolean;

  constructor(kind: ErrorKind, message: string, options: DomainErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'DomainError';
    this.kind = kind;
    this.causes = options.causes ?? [];
    this.detail = options.detail;
    this.retryable = options.retryable ?? false;
  }
}

export function invalidInput(causes: FieldProblem[]): DomainError {
  return new DomainError('invalid_input', 'invalid input', { causes, detail: causes.map((c) => c.field).join(', ') });
}

export function notFound(id: string, type: string): DomainError {
  return new DomainError('not_found', `${type} ${id} not found`, { detail: `Resource not found: ${id} (${type})` });
}
