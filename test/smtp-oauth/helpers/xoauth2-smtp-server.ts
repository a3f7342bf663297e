import type { SMTPServerAuthentication, SMTPServerAuthenticationResponse, SMTPServerSession } from 'smtp-server';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp-server.ts';

export interface XOAuth2Attempt {
  username: string | undefined;
  accessToken: string | undefined;
  accepted: boolean;
}

export interface XOAuth2SmtpServer extends TestSmtpServer {
  /** Every AUTH XOAUTH2 the server saw, in order. */
  attempts: XOAuth2Attempt[];
}

/**
 * A real smtp-server on 127.0.0.1 (STARTTLS, test CA) that advertises only XOAUTH2 and accepts a
 * bearer token only when `isValid` says so. A refused token is answered the way Gmail does (`334`
 * with a JSON error, then `535`) or the way Microsoft 365 does (`535` at once).
 */
export async function startXOAuth2SmtpServer(options: {
  username: string;
  isValid: (token: string) => boolean;
  refusal?: 'gmail' | 'microsoft';
}): Promise<XOAuth2SmtpServer> {
  const attempts: XOAuth2Attempt[] = [];
  const onAuth = (
    auth: SMTPServerAuthentication,
    _session: SMTPServerSession,
    callback: (error: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void,
  ) => {
    const accepted =
      auth.method === 'XOAUTH2' &&
      auth.username === options.username &&
      !!auth.accessToken &&
      options.isValid(auth.accessToken);
    attempts.push({ username: auth.username, accessToken: auth.accessToken, accepted });
    if (accepted) return callback(null, { user: auth.username });
    if (options.refusal === 'microsoft') {
      const error = Object.assign(new Error('5.7.3 Authentication unsuccessful'), { responseCode: 535 });
      return callback(error);
    }
    return callback(null, { data: { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' } });
  };
  const server = await startSmtpServer({
    // authOptional stays false: the server requires sign-in (any `users` value turns that on).
    users: {},
    options: { authMethods: ['XOAUTH2'], onAuth: onAuth as never },
  });
  return Object.assign(server, { attempts });
}
