/** `WWW-Authenticate` challenges in the form Okta sends (Okta's Go SDK reads `error_description`). */
export interface ChallengeParams {
  scheme: 'Bearer' | 'DPoP';
  /** The org URL: realm, and base of the authorization URI. */
  orgUrl: string;
  scope: string;
  error: 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof';
  resource: string;
  /** DPoP only: the proof algorithms accepted (RFC 9449 §7.1). */
  algorithms?: string[];
}

const DESCRIPTIONS: Record<ChallengeParams['error'], string> = {
  invalid_token: 'The access token is invalid.',
  insufficient_scope: 'The access token provided does not contain the required scopes.',
  invalid_dpop_proof: 'The DPoP proof is invalid.',
};

export function challenge({ scheme, orgUrl, scope, error, resource, algorithms }: ChallengeParams): string {
  const params: [string, string][] = [
    ...(scheme === 'DPoP' && algorithms ? [['algs', algorithms.join(' ')] as [string, string]] : []),
    ['authorization_uri', `${orgUrl}/oauth2/v1/authorize`],
    ['realm', orgUrl],
    ['scope', scope],
    ['error', error],
    ['error_description', DESCRIPTIONS[error]],
    ['resource', resource],
  ];
  return `${scheme} ${params.map(([name, value]) => `${name}="${value.replace(/["\\]/g, '')}"`).join(', ')}`;
}
