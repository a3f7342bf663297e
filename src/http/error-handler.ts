import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type FieldProblem } from '../domain/errors.ts';
import type { IdGenerator } from '../domain/ids.ts';
import { StoreUnavailableError } from '../store/store.ts';
import { ApiError } from './api-error.ts';
import { type ApiErrorKind, ERROR_TABLE, summaryFor } from './error-table.ts';
import { isBodyShapeError, toFieldProblems } from './validation.ts';

interface Rendered {
  kind: ApiErrorKind;
  causes: FieldProblem[];
  detail?: string;
  headers?: Record<string, string>;
  extensions?: Record<string, unknown>;
}

const MALFORMED_BODY_CODES = new Set([
  'FST_ERR_CTP_INVALID_JSON_BODY',
  'FST_ERR_CTP_EMPTY_JSON_BODY',
  'FST_ERR_CTP_INVALID_MEDIA_TYPE',
  'FST_ERR_CTP_INVALID_CONTENT_LENGTH',
  'FST_ERR_CTP_INVALID_TYPE',
]);

function classify(error: FastifyError | Error): Rendered {
  if (error instanceof ApiError)
    return {
      kind: error.kind,
      causes: error.options.causes ?? [],
      detail: error.options.detail,
      headers: error.options.headers,
      extensions: error.options.extensions,
    };
  if (error instanceof DomainError) return { kind: error.kind, causes: error.causes, detail: error.detail };
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    if (isBodyShapeError(fastifyError.validation as never)) return { kind: 'malformed_body', causes: [] };
    const causes = toFieldProblems(fastifyError.validation as never);
    return { kind: 'invalid_input', causes, detail: causes.map((c) => c.field).join(', ') };
  }
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { kind: 'body_too_large', causes: [] };
  if (MALFORMED_BODY_CODES.has(fastifyError.code) || error instanceof SyntaxError)
    return { kind: 'malformed_body', causes: [] };
  // The PostgreSQL store turns lost connections into StoreUnavailableError;
  // matching driver codes here would also catch an SMTP server's ECONNREFUSED.
  if (error instanceof StoreUnavailableError) return { kind: 'unavailable', causes: [] };
  const status = fastifyError.statusCode;
  if (status === 404) return { kind: 'path_not_found', causes: [] };
  if (status !== undefined && status >= 400 && status < 500) return { kind: 'malformed_body', causes: [] };
  return { kind: 'internal', causes: [] };
}

export interface OktaErrorBody {
  errorCode: string;
  errorSummary: string;
  errorLink: string;
  errorId: string;
  errorCauses: Array<{ errorSummary: string }>;
}

/** Okta's error envelope for one kind of error, from the error table. */
export function oktaError(
  kind: ApiErrorKind,
  errorId: string,
  detail?: string,
  causes: FieldProblem[] = [],
): { status: number; body: OktaErrorBody } {
  const entry = ERROR_TABLE[kind];
  return {
    status: entry.status,
    body: {
      errorCode: entry.errorCode,
      errorSummary: summaryFor(kind, detail),
      errorLink: entry.errorCode,
      errorId,
      errorCauses: causes.map((c) => ({ errorSummary: c.field ? `${c.field}: ${c.message}` : c.message })),
    },
  };
}

/** Renders every failure as Okta's error envelope; unknown errors are logged and answered E0000009. */
export function installErrorHandling(app: FastifyInstance, ids: Pick<IdGenerator, 'errorId'>): void {
  function send(reply: FastifyReply, rendered: Rendered) {
    const { status, body } = oktaError(rendered.kind, ids.errorId(), rendered.detail, rendered.causes);
    if (rendered.headers) reply.headers(rendered.headers);
    return reply
      .status(status)
      .type('application/json')
      .send({ ...body, ...rendered.extensions });
  }

  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const rendered = classify(error);
    if (rendered.kind === 'internal' || rendered.kind === 'unavailable') {
      request.log.error({ err: error }, 'request failed');
    }
    return send(reply, rendered);
  });

  app.setNotFoundHandler((_request, reply) => send(reply, { kind: 'path_not_found', causes: [] }));
}
