import type { Transport } from 'nodemailer';
import type MailMessage from 'nodemailer/lib/mailer/mail-message';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import SMTPTransport from 'nodemailer/lib/smtp-transport';
import { quitGracefully, signInLeftSessionOpen } from './quitting-pool.ts';

/**
 * One message over one SMTP session that ends with QUIT whenever the server is still talking to
 * us: after a delivery, and after a refused sign-in, sender, recipient or message. nodemailer's own
 * single-message transport just closes the socket, which servers log as a dropped session (and
 * some count against the client). Broken connections are still closed at once.
 */
export function quittingTransport(options: SMTPTransport.Options): Transport<SMTPTransport.SentMessageInfo> {
  // Only for its translation of `auth` into what SMTPConnection.login takes; it opens nothing.
  const signInOf = new SMTPTransport(options);
  return {
    name: 'SMTP (quitting)',
    version: '1',
    send(mail: MailMessage<SMTPTransport.SentMessageInfo>, callback) {
      const connection = new SMTPConnection(options);
      const signal = (mail.data as { signal?: AbortSignal }).signal;
      let returned = false;
      const finish = (error: Error | null, info?: SMTPTransport.SentMessageInfo) => {
        if (returned) return;
        returned = true;
        signal?.removeEventListener('abort', onAbort);
        callback(error, info as SMTPTransport.SentMessageInfo);
      };
      const drop = (error: Error) => {
        connection.close();
        finish(error);
      };
      function onAbort() {
        drop(Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'EABORT' }));
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) return setImmediate(onAbort);

      connection.once('error', drop);
      connection.connect(() => {
        if (returned) return;
        const send = () => {
          const envelope = mail.message.getEnvelope();
          connection.send(envelope, mail.message.createReadStream(), (error, info) => {
            if (returned) return;
            const refused = error && ['EENVELOPE', 'EMESSAGE'].includes((error as { code?: string }).code ?? '');
            if (error && !refused) return drop(error);
            connection.quit();
            if (error) return finish(error);
            finish(null, { ...info, envelope, messageId: mail.message.messageId() } as SMTPTransport.SentMessageInfo);
          });
        };
        const auth = (signInOf as unknown as { getAuth(a: unknown): unknown }).getAuth({});
        if (!auth || !(connection.allowsAuth || options.forceAuth)) return send();
        connection.login(auth as SMTPConnection.AuthenticationCredentials, (error) => {
          if (returned) return;
          if (error && signInLeftSessionOpen(connection, error)) {
            quitGracefully(connection);
            return finish(error);
          }
          if (error) return drop(error);
          send();
        });
      });
    },
    close() {
      signInOf.close();
    },
  };
}
