import type { ErrorKind } from '../domain/errors.ts';

/** Conditions only the HTTP edge knows about. */
export type EdgeErrorKind =
  | 'bad_request'
  | 'request_timeout'
  | 'uri_too_long'
  | 'headers_too_large'
  | 'malformed_body'
  | 'body_too_large'
  | 'no_credentials'
  | 'invalid_token'
  | 'forbidden'
  | 'path_not_found'
  | 'method_not_allowed'
  | 'rate_limited'
  | 'internal';

export type ApiErrorKind = ErrorKind | EdgeErrorKind;

export interface ErrorTableEntry {
  status: number;
  errorCode: string;
  /** Okta's summary; `{0}` is replaced by the error's detail. */
  summary: string;
}

/** The one table from internal error kinds to HTTP status and Okta error code and summary. */
export const ERROR_TABLE: Record<ApiErrorKind, ErrorTableEntry> = {
  invalid_input: { status: 400, errorCode: 'E0000001', summary: 'Api validation failed: {0}' },
  // Requests refused before routing (bad percent-encoding, over-long ids, malformed HTTP).
  bad_request: { status: 400, errorCode: 'E0000002', summary: 'The request was not valid: {0}' },
  request_timeout: { status: 408, errorCode: 'E0000002', summary: 'The request was not valid: {0}' },
  uri_too_long: { status: 414, errorCode: 'E0000002', summary: 'The request was not valid: {0}' },
  headers_too_large: { status: 431, errorCode: 'E0000002', summary: 'The request was not valid: {0}' },
  malformed_body: { status: 400, errorCode: 'E0000003', summary: 'The request body was not well-formed.' },
  body_too_large: { status: 413, errorCode: 'E0000003', summary: 'The request body was not well-formed.' },
  no_credentials: { status: 403, errorCode: 'E0000005', summary: 'Invalid session' },
  forbidden: {
    status: 403,
    errorCode: 'E0000006',
    summary: 'You do not have permission to perform the requested action',
  },
  not_found: { status: 404, errorCode: 'E0000007', summary: 'Not found: {0}' },
  path_not_found: { status: 404, errorCode: 'E0000008', summary: 'The requested path was not found' },
  internal: { status: 500, errorCode: 'E0000009', summary: 'Internal Server Error' },
  invalid_token: { status: 401, errorCode: 'E0000011', summary: 'Invalid token provided' },
  method_not_allowed: {
    status: 405,
    errorCode: 'E0000022',
    summary: 'The endpoint does not support the provided HTTP method',
  },
  rate_limited: {
    status: 429,
    errorCode: 'E0000047',
    summary: 'API call exceeded rate limit due to too many requests.',
  },
  too_many_in_flight: {
    status: 429,
    errorCode: 'E0000047',
    summary: 'API call exceeded rate limit due to too many requests.',
  },
  unavailable: {
    status: 503,
    errorCode: 'E0000010',
    summary: 'Service is temporarily unavailable. Please try again later.',
  },
  one_enabled_server: {
    status: 400,
    errorCode: 'E0000222',
    summary: 'You can enable only one SMTP server at a time. Another SMTP server is already enabled.',
  },
  smtp_connection_failed: {
    status: 400,
    errorCode: 'E0000223',
    summary: 'Connection with the specified SMTP server failed.',
  },
  smtp_auth_failed: {
    status: 400,
    errorCode: 'E0000224',
    summary: 'Authentication with the specified SMTP server failed.',
  },
  oauth_token_failed: {
    status: 400,
    errorCode: 'E0000266',
    summary: 'Failed to get access token for SMTP server configuration. Failure details: {0}.',
  },
  enrolment_limit: {
    status: 400,
    errorCode: 'E0000225',
    summary:
      "You reached the maximum number of enrolled SMTP servers. An org can't have more than {0} enrolled servers.",
  },
};

export function summaryFor(kind: ApiErrorKind, detail?: string): string {
  return ERROR_TABLE[kind].summary.replace('{0}', detail ?? '');
}
