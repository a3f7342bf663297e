import { X509Certificate } from 'node:crypto';
import { defaultTlsMode, type TlsMode } from '../schemas/tls-modes.ts';
import type { EmailServerRecord } from '../store/store.ts';

export function effectiveTlsMode(server: Pick<EmailServerRecord, 'port' | 'tlsMode'>): TlsMode {
  return server.tlsMode ?? defaultTlsMode(server.port);
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The certificates of a PEM bundle, or a reason it is not one. Only CERTIFICATE blocks count; a
 * private key pasted by mistake is refused rather than stored.
 */
function parseCaBundle(pem: string): { ok: true; certificates: X509Certificate[] } | { ok: false; reason: string } {
  if (/PRIVATE KEY-----/.test(pem))
    return { ok: false, reason: 'The field must hold CA certificates only, never a private key' };
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0)
    return { ok: false, reason: 'The field must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)' };
  const certificates: X509Certificate[] = [];
  for (const block of blocks) {
    try {
      certificates.push(new X509Certificate(block));
    } catch {
      return { ok: false, reason: 'The field holds a PEM block that is not a valid X.509 certificate' };
    }
  }
  return { ok: true, certificates };
}

export interface TlsSettingsCheck {
  /** The TLS mode the server will have (null: derived from the port). */
  tlsMode: TlsMode | null;
  /** Whether the server will have a password after the change. */
  hasPassword: boolean;
  /** A CA bundle sent in this request, if any ("" removes it). */
  caCertificate?: string;
}

/**
 * Problems with a server's TLS extension fields, as field problems (E0000001). `none` sends
 * everything in clear, so it is allowed only without a password; every other mode needs one
 * (Okta's rule), and a CA bundle must parse.
 */
export function tlsSettingsProblems(check: TlsSettingsCheck): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  if (check.tlsMode === 'none' && check.hasPassword) {
    problems.push({
      field: 'tlsMode',
      message:
        'tlsMode none sends everything in clear, so it is allowed only for an unauthenticated relay: send "password": "" with it',
    });
  } else if (check.tlsMode !== 'none' && !check.hasPassword) {
    problems.push({ field: 'password', message: 'The field cannot be left blank' });
  }
  if (check.caCertificate) {
    const parsed = parseCaBundle(check.caCertificate);
    if (!parsed.ok) problems.push({ field: 'caCertificate', message: parsed.reason });
  }
  return problems;
}
