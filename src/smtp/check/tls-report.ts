import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type tls from 'node:tls';
import type { CertificateReport, TlsReport } from '../../schemas/email-server-check.ts';

const DAY_MS = 86_400_000;

/** What the handshake negotiated and the chain the server presented, leaf first. */
export function describeTls(socket: tls.TLSSocket, host: string, now: number): TlsReport {
  const chain: CertificateReport[] = [];
  const seen = new Set<string>();
  let current: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  let leaf: X509Certificate | undefined;
  while (current?.raw && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    const parsed = new X509Certificate(current.raw);
    leaf ??= parsed;
    const validTo = new Date(parsed.validTo);
    chain.push({
      subject: oneLine(parsed.subject),
      issuer: oneLine(parsed.issuer),
      validFrom: new Date(parsed.validFrom).toISOString(),
      validTo: validTo.toISOString(),
      daysLeft: Math.floor((validTo.getTime() - now) / DAY_MS),
    });
    current = current.issuerCertificate;
  }
  const bare = host.replace(/\.$/, '');
  const nameMatches = leaf
    ? Boolean(isIP(bare) ? leaf.checkIP(bare) : leaf.checkHost(bare, { subject: 'default' }))
    : false;
  return {
    protocol: socket.getProtocol() ?? 'unknown',
    cipher: socket.getCipher()?.standardName ?? socket.getCipher()?.name ?? 'unknown',
    trusted: socket.authorized,
    nameMatches,
    chain,
  };
}

function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}
