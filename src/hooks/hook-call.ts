import {
  createDestinationPolicy,
  DestinationError,
  type GuardPolicy,
  type HostLookup,
  resolveDestination,
  type VettedDestination,
} from '../smtp/destination-guard.ts';
import { requestVetted } from '../smtp/vetted-request.ts';

export interface HookCallDeps {
  /** The outbound guard and allow-list SMTP uses. */
  guard: GuardPolicy;
  lookup?: HostLookup;
  timeoutMs: number;
}

export interface HookRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

export interface HookResponse {
  status: number;
  body: string;
}

/** Why a call failed, in words safe to show the hook's owner (no header values, no response bodies). */
export class HookCallError extends Error {
  constructor(
    readonly reason: 'invalid_uri' | 'refused' | 'dns' | 'network' | 'timeout' | 'too_large',
    message: string,
  ) {
    super(message);
    this.name = 'HookCallError';
  }
}

/** Checks a hook uri without calling it: a URL, https unless the allow-list names the destination. */
export async function vetHookUri(uri: string, deps: Omit<HookCallDeps, 'timeoutMs'>): Promise<VettedDestination> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new HookCallError('invalid_uri', 'the uri is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new HookCallError('invalid_uri', 'the uri must use https');
  }
  if (url.username || url.password) throw new HookCallError('invalid_uri', 'the uri must not carry credentials');
  const secure = url.protocol === 'https:';
  const port = Number(url.port || (secure ? 443 : 80));
  const policy = createDestinationPolicy(deps.guard);
  let destination: VettedDestination;
  try {
    destination = await resolveDestination(url.hostname, port, policy, {
      lookup: deps.lookup,
      timeoutMs: deps.guard.dnsTimeoutMs,
    });
  } catch (error) {
    if (!(error instanceof DestinationError)) throw error;
    if (error.reason === 'refused') throw new HookCallError('refused', 'the destination is not allowed');
    throw new HookCallError('dns', `the host ${url.hostname} could not be resolved`);
  }
  // Plain http only where the operator opened the destination (a receiver on a trusted network).
  if (!secure && !policy.listed(destination.address, destination.host, port)) {
    throw new HookCallError('invalid_uri', 'the uri must use https');
  }
  return destination;
}

/**
 * Calls a hook receiver: resolved once and vetted by the destination guard, connected at the
 * vetted address (TLS still checks the name), no redirects followed, the answer bounded in size
 * and the whole call in time.
 */
export async function callHook(uri: string, request: HookRequest, deps: HookCallDeps): Promise<HookResponse> {
  const destination = await vetHookUri(uri, deps);
  const body = request.body;
  try {
    return await requestVetted(new URL(uri), destination, {
      method: request.method,
      headers: { ...request.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body,
      timeoutMs: deps.timeoutMs,
    });
  } catch (error) {
    throw asCallError(error);
  }
}

function asCallError(error: unknown): HookCallError {
  const code = String((error as { code?: unknown }).code ?? (error as Error).name ?? 'error');
  if (code === 'ERESPONSETOOLARGE') return new HookCallError('too_large', 'the receiver answered with too much data');
  if (code === 'ABORT_ERR' || code === 'AbortError' || code === 'TimeoutError') {
    return new HookCallError('timeout', 'the receiver did not answer in time');
  }
  // Only the error code: a message could quote what the receiver sent.
  return new HookCallError('network', `the receiver could not be reached (${code.replace(/[^A-Z0-9_]/gi, '')})`);
}

/** The guarded client with its settings bound: what the event hook service is given. */
export function createHookClient(deps: HookCallDeps) {
  return {
    vet: (uri: string) => vetHookUri(uri, deps),
    call: (uri: string, request: HookRequest) => callHook(uri, request, deps),
  };
}
