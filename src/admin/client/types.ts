/** An email server as the API returns it; TLS and health fields are extensions that may be absent. */
export interface EmailServer {
  id: string;
  alias: string;
  host: string;
  port: number;
  username: string;
  enabled: boolean;
  authType?: string;
  tlsMode?: 'implicit' | 'starttls' | 'none' | null;
  caCertificate?: string | null;
  [extension: string]: unknown;
}

export const TLS_MODE_LABELS: Record<string, string> = {
  implicit: 'Implicit TLS',
  starttls: 'STARTTLS',
  none: 'None (relay)',
};

/** The TLS mode in effect: the server's own setting, or the default the service applies by port. */
export function effectiveTlsMode(server: Pick<EmailServer, 'port' | 'tlsMode'>): { mode: string; automatic: boolean } {
  if (server.tlsMode) return { mode: server.tlsMode, automatic: false };
  return { mode: server.port === 465 ? 'implicit' : 'starttls', automatic: true };
}
