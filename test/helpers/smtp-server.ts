import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

const TLS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'tls');

/** A private CA and a certificate it signed for localhost, 127.0.0.1 and ::1 (test fixtures). */
export const TEST_TLS = {
  ca: fs.readFileSync(path.join(TLS_DIR, 'ca.pem'), 'utf8'),
  key: fs.readFileSync(path.join(TLS_DIR, 'server.key'), 'utf8'),
  cert: fs.readFileSync(path.join(TLS_DIR, 'server.pem'), 'utf8'),
};

export interface ReceivedMessage {
  from: string | undefined;
  to: string[];
  raw: Buffer;
  parsed: ParsedMail;
  user: string | undefined;
}

export interface TestSmtpServer {
  port: number;
  host: '127.0.0.1';
  messages: ReceivedMessage[];
  /** Resolves once `count` messages have arrived (or rejects after `timeoutMs`). */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  close(): Promise<void>;
}

export interface TestSmtpOptions {
  /** Accepted credentials; omit to accept any. */
  users?: Record<string, string>;
  /** `starttls` (default), `implicit` (TLS from the first byte) or `none` (plain SMTP, no TLS). */
  tls?: 'starttls' | 'implicit' | 'none';
  /** Reject RCPT TO for these addresses with 550. */
  rejectRecipients?: string[];
  /** Extra smtp-server options. */
  options?: Partial<SMTPServerOptions>;
  /** Listen on this port (e.g. to bring a stopped server back); default: any free port. */
  port?: number;
}

/** A real SMTP server (smtp-server) on 127.0.0.1 with STARTTLS and AUTH PLAIN/LOGIN. */
export async function startSmtpServer(opts: TestSmtpOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMessage[] = [];
  const waiters: Array<() => void> = [];
  const tlsMode = opts.tls ?? 'starttls';
  const server = new SMTPServer({
    secure: tlsMode === 'implicit',
    disabledCommands: tlsMode === 'none' ? ['STARTTLS'] : [],
    key: TEST_TLS.key,
    cert: TEST_TLS.cert,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: !opts.users,
    allowInsecureAuth: tlsMode === 'none',
    logger: false,
    onAuth(auth, _session, callback) {
      if (!opts.users || opts.users[auth.username ?? ''] === auth.password)
        return callback(null, { user: auth.username });
      const error = new Error('Authentication credentials invalid') as Error & { responseCode: number };
      error.responseCode = 535;
      return callback(error);
    },
    onRcptTo(address, _session, callback) {
      if (opts.rejectRecipients?.includes(address.address)) {
        const error = new Error('No such user here') as Error & { responseCode: number };
        error.responseCode = 550;
        return callback(error);
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks);
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          parsed: await simpleParser(raw),
          user: session.user as string | undefined,
        });
        for (const wake of waiters.splice(0)) wake();
        callback();
      });
    },
    ...opts.options,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  server.on('error', () => {});
  const port = (server as unknown as { server: { address(): AddressInfo } }).server.address().port;

  return {
    port,
    host: '127.0.0.1',
    messages,
    async waitForMessages(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} messages, got ${messages.length}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 200));
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return messages;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
