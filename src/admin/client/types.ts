import type { EmailServerResponse } from '../../schemas/email-server.ts';
import { defaultTlsMode, type TlsMode } from '../../schemas/tls-modes.ts';

/** An email server as the API returns it; TLS fields are extensions that may be absent. */
export type EmailServer = EmailServerResponse;

export const TLS_MODE_LABELS: Record<TlsMode, string> = {
  implicit: 'Implicit TLS',
  starttls: 'STARTTLS',
  none: 'None (relay)',
};

/** The TLS mode in effect: the server's own setting, or the default the service applies by port. */
export function effectiveTlsMode(server: Pick<EmailServer, 'port' | 'tlsMode'>): { mode: TlsMode; automatic: boolean } {
  if (server.tlsMode) return { mode: server.tlsMode, automatic: false };
  return { mode: defaultTlsMode(server.port), automatic: true };
}
