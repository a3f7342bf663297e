import type { SMTPConnectionCustomAuthContext, SMTPConnectionCustomAuthResponse } from 'nodemailer/lib/smtp-connection';
import { OAUTH_AUTH_TYPES, type OAuthAuthType } from '../../schemas/auth-types.ts';
import type { SmtpAuthStrategy } from '../auth-strategy.ts';
import type { OAuthServer } from './grants.ts';
import type { AccessToken, OAuthTokenClient } from './token-client.ts';

/** Replies after which a fresh token cannot help: the server does not take XOAUTH2 at all, or the request was malformed. */
const NOT_A_TOKEN_PROBLEM = new Set([500, 501, 502, 503, 504, 530, 538]);

/** Tokens kept for redaction on a long-lived (pooled) transport. */
const REMEMBERED_TOKENS = 4;

/** SASL XOAUTH2 initial response: `user=<user>^Aauth=Bearer <token>^A^A`, base64. */
export function xoauth2InitialResponse(user: string, accessToken: string): string {
  return Buffer.from(`user=${user}\x01auth=Bearer ${accessToken}\x01\x01`, 'utf8').toString('base64');
}

/**
 * Sign-in strategies for Okta's OAuth 2.0 authTypes, plugged into createSmtpTransport's
 * `authStrategies`. The first token is fetched while the transport is built, so a token endpoint
 * failure is reported (E0000266) before SMTP is contacted. Each SMTP login then runs XOAUTH2 with
 * the cached token; if the server refuses it (a `334` error challenge, as Gmail sends, or a `535`,
 * as Microsoft 365 does), the token is dropped, a fresh one fetched once, and AUTH tried again on
 * the same connection.
 */
export function createXOAuth2Strategies(tokens: OAuthTokenClient): Record<OAuthAuthType, SmtpAuthStrategy> {
  const strategy: SmtpAuthStrategy = async ({ server }) => {
    const oauthServer = server as OAuthServer;
    const first = await tokens.accessToken(oauthServer);
    const secrets = [first.value];
    const remember = (token: AccessToken) => {
      if (secrets.includes(token.value)) return;
      secrets.push(token.value);
      if (secrets.length > REMEMBERED_TOKENS) secrets.splice(0, secrets.length - REMEMBERED_TOKENS);
    };

    async function signIn(context: SMTPConnectionCustomAuthContext): Promise<void> {
      let token = await tokens.accessToken(oauthServer);
      remember(token);
      let reply = await authenticate(context, server.username, token.value);
      if (isSuccess(reply)) return;
      if (!NOT_A_TOKEN_PROBLEM.has(reply.status)) {
        token = await tokens.accessToken(oauthServer, { rejected: token.value });
        remember(token);
        reply = await authenticate(context, server.username, token.value);
        if (isSuccess(reply)) return;
      }
      // nodemailer adds the server's last reply and marks it EAUTH: diagnosed as E0000224.
      throw new Error('XOAUTH2 sign-in refused');
    }

    return {
      // `method` selects the custom XOAUTH2 handler below instead of nodemailer's built-in one.
      auth: { user: server.username, method: 'XOAUTH2' },
      customAuth: { XOAUTH2: signIn },
      secrets,
    };
  };
  return Object.fromEntries(OAUTH_AUTH_TYPES.map((type) => [type, strategy])) as Record<
    OAuthAuthType,
    SmtpAuthStrategy
  >;
}

async function authenticate(
  context: SMTPConnectionCustomAuthContext,
  user: string,
  accessToken: string,
): Promise<SMTPConnectionCustomAuthResponse> {
  const reply = await context.sendCommand(`AUTH XOAUTH2 ${xoauth2InitialResponse(user, accessToken)}`);
  // RFC 7628 §3.2.3 / Google: a 334 carries a JSON error; the client answers with an empty line and gets the final reply.
  return reply.status === 334 ? context.sendCommand('') : reply;
}

function isSuccess(reply: SMTPConnectionCustomAuthResponse): boolean {
  return reply.status >= 200 && reply.status < 300;
}
