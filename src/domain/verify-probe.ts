import { diagnoseSmtpError, type SmtpAttempt } from '../smtp/classify-error.ts';
import { effectiveTlsMode } from '../smtp/tls-mode.ts';
import { createSmtpTransport, type SmtpTransport, type SmtpTransportDeps } from '../smtp/transport.ts';
import type { EmailServerRecord } from '../store/store.ts';
import type { ProbeResult } from './server-health.ts';

/**
 * A probe that connects, secures and signs in exactly as delivery and /test do (the same transport
 * builder), then says QUIT: no mail is sent.
 */
export function createVerifyProbe(deps: SmtpTransportDeps) {
  return async (server: EmailServerRecord): Promise<ProbeResult> => {
    let transport: SmtpTransport | undefined;
    try {
      transport = await createSmtpTransport(server, deps);
      await transport.transporter.verify();
      return { ok: true };
    } catch (error) {
      const attempt: SmtpAttempt = transport?.attempt ?? {
        host: server.host,
        port: server.port,
        tlsMode: effectiveTlsMode(server),
        customCa: Boolean(server.caCertificate),
        username: server.username,
      };
      const diagnosis = diagnoseSmtpError(error, attempt);
      return {
        ok: false,
        stage: diagnosis.stage ?? 'connect',
        reply: diagnosis.reply?.text ?? null,
        hint: diagnosis.hint ?? null,
      };
    } finally {
      transport?.close();
    }
  };
}
