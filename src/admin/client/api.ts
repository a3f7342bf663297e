import { h, showAlert } from './dom.ts';
import { authorizationFor, getToken } from './session.ts';

/** One entry of Okta's `errorCauses`, split into `field: message` when it has that form. */
export interface Cause {
  field?: string;
  message: string;
}

/** A failed API call, carrying Okta's error envelope in a usable form. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string | undefined,
    readonly summary: string,
    readonly causes: Cause[],
    /** The parsed error body, for documented extension fields beyond Okta's. */
    readonly body?: unknown,
  ) {
    super(summary);
    this.name = 'ApiFailure';
  }

  /** Causes that name a field, keyed by field (first one wins). */
  fieldErrors(): Map<string, string> {
    const byField = new Map<string, string>();
    for (const cause of this.causes)
      if (cause.field && !byField.has(cause.field)) byField.set(cause.field, cause.message);
    return byField;
  }
}

function parseCause(text: string): Cause {
  const match = /^([A-Za-z][\w.-]*): ([\s\S]*)$/.exec(text);
  return match ? { field: match[1], message: match[2] } : { message: text };
}

/** Called when the token is rejected, so the page can return to sign-in. */
let onUnauthorized: (failure: ApiFailure) => void = () => {};
export function setUnauthorizedHandler(handler: (failure: ApiFailure) => void): void {
  onUnauthorized = handler;
}

async function send(method: string, path: string, body?: unknown): Promise<{ data: unknown; headers: Headers }> {
  const token = getToken();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = authorizationFor(token);
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiFailure(0, undefined, 'The service could not be reached. Check that it is running.', []);
  }
  const text = await response.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (response.ok) return { data, headers: response.headers };
  throw toFailure(response, data);
}

export async function apiRequest(method: string, path: string, body?: unknown): Promise<unknown> {
  return (await send(method, path, body)).data;
}

/** A GET of one page of a list, with the path of the next page from its `Link: <...>; rel="next"`. */
export async function apiPage(path: string): Promise<{ data: unknown; next?: string }> {
  const { data, headers } = await send('GET', path);
  const next = /<([^>]+)>;\s*rel="next"/.exec(headers.get('link') ?? '')?.[1];
  return { data, next: next === undefined ? undefined : sameOriginPath(next) };
}

/** A link as a path on this origin, or undefined: only those are followed, as the token goes with them. */
function sameOriginPath(link: string): string | undefined {
  let url: URL;
  try {
    // The System Log names its pages with absolute URLs, the delivery API with paths.
    url = new URL(link, location.href);
  } catch {
    return undefined;
  }
  return url.origin === location.origin ? `${url.pathname}${url.search}` : undefined;
}

function toFailure(response: Response, data: unknown): ApiFailure {
  const envelope = (data ?? {}) as { errorCode?: unknown; errorSummary?: unknown; errorCauses?: unknown };
  const causes = Array.isArray(envelope.errorCauses)
    ? envelope.errorCauses.map((c) => parseCause(String((c as { errorSummary?: unknown })?.errorSummary ?? '')))
    : [];
  let summary =
    typeof envelope.errorSummary === 'string' ? envelope.errorSummary : `Request failed with HTTP ${response.status}`;
  if (response.status === 403 && !data) {
    // Okta answers a missing OAuth scope with an empty body and the reason in WWW-Authenticate.
    const challenge = response.headers.get('www-authenticate') ?? '';
    const description = /error_description="([^"]*)"/.exec(challenge)?.[1];
    const scope = /scope="([^"]*)"/.exec(challenge)?.[1];
    summary = `${description ?? 'You do not have permission to perform the requested action.'}${scope ? ` Required scope: ${scope}.` : ''}`;
  }
  if (response.status === 429) {
    const reset = Number(response.headers.get('x-rate-limit-reset'));
    if (Number.isFinite(reset) && reset > 0)
      summary += ` Try again after ${new Date(reset * 1000).toLocaleTimeString()}.`;
  }
  const failure = new ApiFailure(
    response.status,
    typeof envelope.errorCode === 'string' ? envelope.errorCode : undefined,
    summary,
    causes,
    data,
  );
  if (response.status === 401) onUnauthorized(failure);
  return failure;
}

/** Lists come as a bare array (what Okta sends) or wrapped in `email-servers` (Okta's reference). */
export function unwrapList<T>(data: unknown, key: string): T[] {
  if (Array.isArray(data)) return data as T[];
  const wrapped = (data as Record<string, unknown> | undefined)?.[key];
  return Array.isArray(wrapped) ? (wrapped as T[]) : [];
}

/** Shows a failed call in an alert region: what was being done, Okta's code and summary, each cause. */
export function showApiError(region: HTMLElement, error: unknown, context: string): void {
  const text =
    error instanceof ApiFailure
      ? error.errorCode
        ? `${error.errorCode}: ${error.summary}`
        : error.summary
      : String(error);
  const causes = error instanceof ApiFailure ? error.causes : [];
  showAlert(
    region,
    h('strong', {}, `${context}: `),
    text,
    ...causes.map((c) => h('div', {}, c.field ? `${c.field}: ${c.message}` : c.message)),
  );
}
