import type { SMTPConnectionCustomAuthHandlers } from 'nodemailer/lib/smtp-connection';
import type { SMTPTransportAuthOptions } from 'nodemailer/lib/smtp-transport';
import type { SecretBox } from '../secrets/secret-box.ts';
import { openServerSecret } from '../secrets/server-secrets.ts';
import type { EmailServerRecord } from '../store/store.ts';

/**
 * How the send path signs in to a server. A strategy turns a stored server into nodemailer auth
 * settings; the transport factory picks one by `authType`. BASIC_SMTP_AUTH (a password) is built
 * in; OAuth 2.0 types (XOAUTH2) plug in through `SmtpTransportDeps.authStrategies` without
 * touching the factory.
 */
export interface SmtpAuthContext {
  server: SmtpAuthServer;
  secretBox: Pick<SecretBox, 'open'>;
}

export type SmtpAuthServer = Pick<
  EmailServerRecord,
  'id' | 'orgId' | 'host' | 'port' | 'username' | 'authType' | 'passwordSealed'
> &
  OAuthSignInFields;

/** The OAuth 2.0 fields (src/smtp/oauth/); optional, so password-only configurations need none. */
export type OAuthSignInFields = Partial<
  Pick<
    EmailServerRecord,
    | 'tokenEndpoint'
    | 'clientId'
    | 'tokenEndpointAuthMethod'
    | 'scopes'
    | 'signingAlgorithm'
    | 'keyId'
    | 'issuer'
    | 'subject'
    | 'audience'
    | 'clientSecretSealed'
    | 'privateKeySealed'
  >
>;

export interface SmtpAuthSettings {
  /** nodemailer `auth`: user + pass, or `{ type: 'OAuth2', user, accessToken }` for XOAUTH2. */
  auth: SMTPTransportAuthOptions;
  /** Extra SASL mechanisms (nodemailer `customAuth`), keyed by mechanism name. */
  customAuth?: SMTPConnectionCustomAuthHandlers;
  /** Strings that must never appear in a diagnosis (the password, tokens); redacted from server replies. */
  secrets: string[];
}

/** Returns the sign-in settings, or undefined when the server is used without AUTH. */
export type SmtpAuthStrategy = (context: SmtpAuthContext) => Promise<SmtpAuthSettings | undefined>;

/** BASIC_SMTP_AUTH: the stored username and the password sealed for exactly this destination. */
export const passwordAuth: SmtpAuthStrategy = async ({ server, secretBox }) => {
  if (!server.passwordSealed) return undefined;
  const pass = openServerSecret(secretBox, server, 'password', server.passwordSealed);
  return { auth: { user: server.username, pass }, secrets: [pass] };
};

/** A fixed username and password, for servers configured outside the store (e.g. the operator's default). */
export function staticPasswordAuth(user: string, pass: string): SmtpAuthStrategy {
  return async () => ({ auth: { user, pass }, secrets: [pass] });
}
