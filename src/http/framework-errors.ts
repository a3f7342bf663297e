import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { IdGenerator } from '../domain/ids.ts';
import { oktaError } from './error-handler.ts';
import type { ApiErrorKind } from './error-table.ts';

/** fastify's default; an Okta id is 20 characters. */
export const MAX_PARAM_LENGTH = 100;

type FrameworkErrorOptions = Required<Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler'>>;

/**
 * Requests refused before routing (bad percent-encoding, over-long ids) and requests Node's HTTP
 * parser rejects (unknown methods, malformed syntax) answer in Okta's envelope too: an Okta client
 * parses every error body, and fastify's or Node's own bodies have none of its fields.
 */
export function frameworkErrorHandlers(
  ids: Pick<IdGenerator, 'errorId' | 'requestId'>,
  /** Writes the request's completed line: fastify runs no response hooks for these. */
  logCompleted: (request: FastifyRequest, reply: FastifyReply) => void,
): FrameworkErrorOptions {
  return {
    frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
      const [kind, detail]: [ApiErrorKind, string] =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? ['uri_too_long', `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`]
          : error.code === 'FST_ERR_BAD_URL'
            ? ['bad_request', 'the path is not valid percent-encoding']
            : ['internal', ''];
      if (kind === 'internal') request.log.error({ err: error }, 'request failed before routing');
      else request.log.info({ code: error.code, method: request.method }, 'request refused before routing');
      const { status, body } = oktaError(kind, ids.errorId(), detail);
      reply.header('X-Okta-Request-Id', request.id).status(status).type('application/json').send(body);
      logCompleted(request, reply);
    },

    clientErrorHandler(error: Error & { code?: string }, socket: Socket) {
      // A reset connection has nobody left to answer.
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const [kind, detail] = clientErrorKind(error.code);
      const { status, body } = oktaError(kind, ids.errorId(), detail);
      const text = JSON.stringify(body);
      if (socket.writable) {
        socket.write(
          [
            `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
            `X-Okta-Request-Id: ${ids.requestId()}`,
            'Content-Type: application/json; charset=utf-8',
            `Content-Length: ${Buffer.byteLength(text)}`,
            'Connection: close',
            '',
            text,
          ].join('\r\n'),
        );
      }
      socket.destroy(error);
    },
  };
}

/** Node's HTTP parser errors, as error-table kinds. */
function clientErrorKind(code: string | undefined): [ApiErrorKind, string | undefined] {
  switch (code) {
    case 'HPE_INVALID_METHOD':
      return ['method_not_allowed', undefined];
    case 'HPE_HEADER_OVERFLOW':
      return ['headers_too_large', 'the request headers are too large'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return ['request_timeout', 'the request was not received in time'];
    default:
      return ['bad_request', 'the request is not well-formed HTTP'];
  }
}
