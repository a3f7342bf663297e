import { createPrivateKey, type KeyObject, randomUUID } from 'node:crypto';
import type { EmailServerRecord } from '../../store/store.ts';
import type { OAuthSignInFields } from '../auth-strategy.ts';

/** The stored fields an OAuth 2.0 sign-in reads (Okta's names). */
export type OAuthServer = Pick<EmailServerRecord, 'id' | 'orgId' | 'host' | 'port' | 'username' | 'authType'> &
  OAuthSignInFields;

/** How long a signed assertion is valid: Google accepts at most an hour; short limits replay. */
const ASSERTION_LIFETIME_SECONDS = 300;

export interface TokenRequest {
  /** application/x-www-form-urlencoded body. */
  form: URLSearchParams;
  headers: Record<string, string>;
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before they go into HTTP Basic. */
function basicCredentials(clientId: string, clientSecret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/** Client credentials grant (RFC 6749 §4.4), the client authenticated as tokenEndpointAuthMethod says. */
export function clientCredentialsRequest(server: OAuthServer, clientSecret: string): TokenRequest {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (server.scopes?.length) form.set('scope', server.scopes.join(' '));
  const clientId = server.clientId ?? '';
  if (server.tokenEndpointAuthMethod === 'CLIENT_SECRET_POST') {
    form.set('client_id', clientId);
    form.set('client_secret', clientSecret);
    return { form, headers: {} };
  }
  return { form, headers: { authorization: basicCredentials(clientId, clientSecret) } };
}

/** Reads a PEM private key (PKCS#8 or PKCS#1); throws when it is not an RSA key RS256 can use. */
export function readRsaPrivateKey(pem: string): KeyObject {
  const key = createPrivateKey({ key: pem, format: 'pem' });
  if (key.asymmetricKeyType !== 'rsa') throw new Error('not an RSA private key');
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < 2048) throw new Error('RSA keys shorter than 2048 bits are not accepted');
  return key;
}

/**
 * JWT bearer grant (RFC 7523 §2.1): an assertion signed with the stored key (RS256, `kid` =
 * keyId) stating issuer, subject and audience. The scopes travel in the `scope` claim (where
 * Google reads them) and in the `scope` parameter (RFC 7523 §2.1 allows it).
 */
export async function jwtBearerRequest(server: OAuthServer, privateKeyPem: string, now: number): Promise<TokenRequest> {
  // Loaded on the first signed assertion: most deployments never sign one.
  const { SignJWT } = await import('jose');
  const issuedAt = Math.floor(now / 1000);
  const scope = server.scopes?.join(' ');
  const assertion = await new SignJWT(scope ? { scope } : {})
    .setProtectedHeader({
      alg: server.signingAlgorithm ?? 'RS256',
      typ: 'JWT',
      ...(server.keyId ? { kid: server.keyId } : {}),
    })
    .setIssuer(server.issuer ?? '')
    .setSubject(server.subject ?? '')
    .setAudience(server.audience ?? '')
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ASSERTION_LIFETIME_SECONDS)
    .setJti(randomUUID())
    .sign(readRsaPrivateKey(privateKeyPem));
  const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion });
  if (scope) form.set('scope', scope);
  return { form, headers: {} };
}
