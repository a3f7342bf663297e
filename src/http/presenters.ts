import type { EmailServerResponse } from '../schemas/email-server.ts';
import type { EmailServerRecord } from '../store/store.ts';
import { presentOAuthSettings } from './oauth-presenter.ts';

/** The wire form of a server: Okta's fields in Okta's order; extension fields only when set. */
export function presentEmailServer(server: EmailServerRecord): EmailServerResponse {
  return {
    alias: server.alias,
    host: server.host,
    port: server.port,
    id: server.id,
    username: server.username,
    enabled: server.enabled,
    ...presentOAuthSettings(server),
    ...(server.tlsMode ? { tlsMode: server.tlsMode } : {}),
    ...(server.caCertificate ? { caCertificate: server.caCertificate } : {}),
    ...(server.sendingLimits ? { sendingLimits: server.sendingLimits } : {}),
  };
}
