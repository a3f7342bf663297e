import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { VettedDestination } from './destination-guard.ts';

/**
 * Diagnostic probes, run only after a test send failed, to explain why. They connect to the same
 * vetted address, never sign in and never send mail; they read the certificate WITHOUT trusting it
 * (that is the point: to say who presented the certificate that was refused).
 */

export interface CertificateFacts {
  subject?: string;
  issuer?: string;
}

function describe(certificate: tls.PeerCertificate | undefined): CertificateFacts | undefined {
  if (!certificate?.raw) return undefined;
  const parsed = new X509Certificate(certificate.raw);
  const oneLine = (dn: string) => dn.split('\n').filter(Boolean).join(', ');
  return { subject: oneLine(parsed.subject), issuer: oneLine(parsed.issuer) };
}

/** Completes a TLS handshake from the first byte (implicit TLS); resolves undefined when none happens in time. */
export function probeImplicitTls(
  destination: VettedDestination,
  timeoutMs: number,
): Promise<CertificateFacts | undefined> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: destination.address,
      port: destination.port,
      servername: destination.servername,
      rejectUnauthorized: false,
    });
    const finish = (facts: CertificateFacts | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(facts);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.once('secureConnect', () => finish(describe(socket.getPeerCertificate(true)) ?? {}));
    socket.once('error', () => finish(undefined));
  });
}

/** EHLO, STARTTLS, and the certificate the server presented; undefined when the upgrade fails. */
export function probeStartTls(
  destination: VettedDestination,
  timeoutMs: number,
  ehloName?: string,
): Promise<CertificateFacts | undefined> {
  return new Promise((resolve) => {
    const connection = new SMTPConnection({
      host: destination.address,
      port: destination.port,
      name: ehloName,
      secure: false,
      requireTLS: true,
      servername: destination.servername,
      tls: { rejectUnauthorized: false, ...(destination.servername ? { servername: destination.servername } : {}) },
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      logger: false,
    });
    let settled = false;
    const finish = (facts: CertificateFacts | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      connection.close();
      resolve(facts);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    connection.on('error', () => finish(undefined));
    connection.connect((error) => {
      if (error) return finish(undefined);
      const socket = connection._socket;
      finish(socket instanceof tls.TLSSocket ? (describe(socket.getPeerCertificate(true)) ?? {}) : undefined);
    });
  });
}
