import assert from 'node:assert/strict';
import type { ApiResponse } from './app.ts';

export const ERROR_ID = /^oae[A-Za-z0-9_-]{22}$/;

export interface ExpectedOktaError {
  status: number;
  errorCode: string;
  /** Exact summary, or a pattern. */
  errorSummary?: string | RegExp;
  /** Exact list of `errorCauses[].errorSummary`, in order. */
  causes?: string[];
  /** Fields (the text before `: ` in each cause), in any order. Checked only when given. */
  causeFields?: string[];
}

/** Asserts a complete Okta error envelope: status, code, summary, link, id, causes and the request id header. */
export function assertOktaError(res: ApiResponse, expected: ExpectedOktaError): void {
  const context = `${res.status} ${res.text}`;
  assert.equal(res.status, expected.status, context);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, context);
  assert.ok(res.headers.get('x-okta-request-id'), `X-Okta-Request-Id missing: ${context}`);
  const body = res.body;
  assert.deepEqual(
    Object.keys(body).sort(),
    ['errorCauses', 'errorCode', 'errorId', 'errorLink', 'errorSummary'],
    context,
  );
  assert.equal(body.errorCode, expected.errorCode, context);
  assert.equal(body.errorLink, expected.errorCode, context);
  assert.match(body.errorId, ERROR_ID, context);
  if (typeof expected.errorSummary === 'string') assert.equal(body.errorSummary, expected.errorSummary, context);
  else if (expected.errorSummary) assert.match(body.errorSummary, expected.errorSummary, context);
  assert.ok(Array.isArray(body.errorCauses), context);
  for (const cause of body.errorCauses) assert.deepEqual(Object.keys(cause), ['errorSummary'], context);
  const causes = body.errorCauses.map((c: { errorSummary: string }) => c.errorSummary);
  if (expected.causes) assert.deepEqual(causes, expected.causes, context);
  if (expected.causeFields) {
    assert.deepEqual(causes.map((c: string) => c.split(': ')[0]).sort(), [...expected.causeFields].sort(), context);
    assert.equal(expected.errorCode, 'E0000001');
    assert.equal(
      body.errorSummary,
      `Api validation failed: ${causes.map((c: string) => c.split(': ')[0]).join(', ')}`,
      context,
    );
  }
}
