import type { FieldProblem } from '../domain/errors.ts';
import type { EdgeErrorKind } from './error-table.ts';

/** An error raised by the HTTP edge itself (auth, parsing, routing, limits). */
export class ApiError extends Error {
  constructor(
    readonly kind: EdgeErrorKind,
    readonly options: { causes?: FieldProblem[]; detail?: string; headers?: Record<string, string> } = {},
  ) {
    super(kind);
    this.name = 'ApiError';
  }
}
