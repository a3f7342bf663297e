import type { FieldProblem } from '../domain/errors.ts';
import type { ApiErrorKind } from './error-table.ts';

export interface ApiErrorOptions {
  causes?: FieldProblem[];
  detail?: string;
  headers?: Record<string, string>;
  /** Documented extension fields, rendered after Okta's; the route's response schema must declare them. */
  extensions?: Record<string, unknown>;
}

/** An error raised or rendered by the HTTP edge itself (auth, parsing, routing, limits, SMTP test failures). */
export class ApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    readonly options: ApiErrorOptions = {},
  ) {
    super(kind);
    this.name = 'ApiError';
  }
}
