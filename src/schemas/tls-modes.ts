/** The TLS modes of a server (a mailroute extension). No typebox here: the admin page bundles it. */

export const TLS_MODES = ['implicit', 'starttls', 'none'] as const;
export type TlsMode = (typeof TLS_MODES)[number];

/** Port 465 speaks TLS from the first byte (RFC 8314); every other port must upgrade with STARTTLS. */
export function defaultTlsMode(port: number): TlsMode {
  return port === 465 ? 'implicit' : 'starttls';
}
