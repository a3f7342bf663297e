import type { SignInFailureReason } from '../schemas/event-types.ts';
import type { AuditService } from './audit.ts';

/** One refused credential, as the edge saw it; never the credential itself. */
export interface SignInFailure {
  reason: SignInFailureReason;
  /** The Authorization scheme; `other` for anything else, which is never echoed (it may be a bare secret). */
  scheme: 'SSWS' | 'Bearer' | 'DPoP' | 'other';
  /** Our own words on why an access token or proof was refused. */
  detail?: string;
  /** The client address (the proxy's unless it is trusted). */
  address: string;
  requestId: string;
  /** A revoked or expired API token: its id and org are known. */
  token?: { id: string; orgId: string };
}

/**
 * At most this many failed sign-ins are recorded per minute from one client address, and in all;
 * the rest are refused just the same, and only logged.
 */
export const SIGN_IN_FAILURE_RECORDING = { perAddressPerMinute: 10, perMinute: 120 } as const;

export interface SignInFailureDeps {
  audit: Pick<AuditService, 'record'>;
  /** The org a failure naming no known token is recorded in (the operator's); undefined: none yet. */
  operatorOrgId: () => Promise<string | undefined>;
  /**
   * Whether one more failure from this address may be recorded now. Anyone can fail to sign in, so
   * without this bound an anonymous flood would fill the audit log.
   */
  mayRecord: (address: string) => Promise<boolean>;
}

export type SignInFailureRecorder = ReturnType<typeof createSignInFailureRecorder>;

/** Records failed sign-ins as `sign_in.failure`, in the token's org when it is known, else in the operator's. */
export function createSignInFailureRecorder({ audit, operatorOrgId, mayRecord }: SignInFailureDeps) {
  return {
    /** Returns whether the failure was recorded (false when over the bound or without an org). */
    async record(failure: SignInFailure): Promise<boolean> {
      if (!(await mayRecord(failure.address))) return false;
      const orgId = failure.token?.orgId ?? (await operatorOrgId());
      if (!orgId) return false;
      const detail = failure.detail ? `: ${failure.detail.slice(0, 80)}` : '';
      await audit.record(
        orgId,
        {
          actor: failure.token
            ? { id: failure.token.id, type: 'ApiToken' }
            : { id: failure.address, type: 'Anonymous' },
          requestId: failure.requestId,
        },
        {
          eventType: 'sign_in.failure',
          target: failure.token ? { id: failure.token.id, type: 'ApiToken' } : { id: orgId, type: 'Org' },
          outcome: {
            result: 'FAILURE',
            reason: `${failure.reason} (${failure.scheme}${detail}) from ${failure.address}`,
          },
        },
      );
      return true;
    },
  };
}
