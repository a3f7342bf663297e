import net from 'node:net';
import tls from 'node:tls';

/**
 * A minimal SMTP client for the staged session (the check and /test): one command, one reply, so every stage can be timed and
 * stopped on its own (nodemailer's connection runs greeting, EHLO and STARTTLS as one step).
 * Its errors carry nodemailer's fields (code, command, response, responseCode, timeoutType), so
 * the one classifier reads them exactly as it reads a send's.
 */

export interface SmtpReply {
  code: number;
  /** Every line without its code, e.g. the EHLO keywords. */
  lines: string[];
  /** The reply as the server sent it, lines joined with a space. */
  text: string;
}

export interface DialogueError extends Error {
  code: string;
  originalCode?: string;
  command?: string;
  response?: string;
  responseCode?: number;
  timeoutType?: string;
}

export function dialogueError(
  message: string,
  fields: Omit<DialogueError, 'name' | 'message'>,
  cause?: unknown,
): DialogueError {
  return Object.assign(new Error(message, cause ? { cause } : undefined), fields) as DialogueError;
}

export class SmtpDialogue {
  private buffer = '';
  private lines: string[] = [];
  private replies: SmtpReply[] = [];
  private waiter?: { resolve(reply: SmtpReply): void; reject(error: Error): void };
  private failure?: Error;
  private command = 'CONN';
  private readonly onData = (chunk: Buffer) => this.receive(chunk.toString('latin1'));

  private constructor(
    private socket: net.Socket | tls.TLSSocket,
    private readonly socketTimeoutMs: number,
  ) {
    this.attach(socket);
  }

  /** Opens a TCP connection to an address already vetted by the guard. */
  static open(
    target: { address: string; port: number },
    options: { connectionTimeoutMs: number; socketTimeoutMs: number },
  ): Promise<SmtpDialogue> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: target.address, port: target.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          dialogueError('Connection timeout', { code: 'ETIMEDOUT', timeoutType: 'CONNECT_TIMEOUT', command: 'CONN' }),
        );
      }, options.connectionTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new SmtpDialogue(socket, options.socketTimeoutMs));
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        reject(socketError(error, 'CONN', false));
      });
    });
  }

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  get tlsSocket(): tls.TLSSocket | undefined {
    return this.socket instanceof tls.TLSSocket ? this.socket : undefined;
  }

  /** The next reply; `timeoutMs` bounds the wait (the greeting has its own deadline). */
  read(timeoutMs = this.socketTimeoutMs, timeoutType = 'SOCKET_TIMEOUT'): Promise<SmtpReply> {
    const ready = this.replies.shift();
    if (ready) return Promise.resolve(ready);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(dialogueError('Timeout', { code: 'ETIMEDOUT', timeoutType, command: this.command }));
      }, timeoutMs);
      this.waiter = {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }

  /** Sends one command line; `name` is what errors report as the command (never the line, which may hold credentials). */
  send(line: string, name: string): Promise<SmtpReply> {
    this.command = name;
    this.socket.write(`${line}\r\n`);
    return this.read();
  }

  /** Writes a DATA payload (dot-stuffed, ending with the lone dot) and reads the reply to it. */
  sendData(payload: Buffer, name: string): Promise<SmtpReply> {
    this.command = name;
    this.socket.write(payload);
    return this.read();
  }

  /** Starts TLS on the connection: at once (implicit TLS) or after a 220 answer to STARTTLS. */
  upgrade(options: tls.ConnectionOptions, timeoutMs: number): Promise<tls.TLSSocket> {
    const plain = this.socket;
    plain.off('data', this.onData);
    plain.removeAllListeners('error');
    plain.removeAllListeners('close');
    return new Promise((resolve, reject) => {
      const secure = tls.connect({ ...options, socket: plain });
      const timer = setTimeout(() => {
        secure.destroy();
        reject(
          dialogueError('TLS upgrade timeout', { code: 'ETLS', timeoutType: 'UPGRADE_TIMEOUT', command: this.command }),
        );
      }, timeoutMs);
      secure.once('secureConnect', () => {
        clearTimeout(timer);
        secure.removeAllListeners('error');
        this.socket = secure;
        this.attach(secure);
        resolve(secure);
      });
      secure.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        secure.destroy();
        reject(socketError(error, 'CONN', true));
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private attach(socket: net.Socket) {
    socket.on('data', this.onData);
    socket.on('error', (error: NodeJS.ErrnoException) => this.fail(socketError(error, this.command, false)));
    socket.on('close', () =>
      this.fail(dialogueError('Connection closed', { code: 'ECONNECTION', command: this.command })),
    );
  }

  private fail(error: Error) {
    this.failure ??= error;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(this.failure);
  }

  private receive(text: string) {
    this.buffer += text;
    let end = this.buffer.indexOf('\n');
    while (end >= 0) {
      const line = this.buffer.slice(0, end).replace(/\r$/, '');
      this.buffer = this.buffer.slice(end + 1);
      this.lines.push(line);
      // `250-` continues a reply, `250 ` (or a bare code) ends it.
      if (!/^\d{3}-/.test(line)) this.complete();
      end = this.buffer.indexOf('\n');
    }
  }

  private complete() {
    const lines = this.lines.splice(0);
    const code = Number.parseInt(lines[lines.length - 1].slice(0, 3), 10) || 0;
    const reply = { code, lines: lines.map((line) => line.slice(4)), text: lines.join(' ') };
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) waiter.resolve(reply);
    else this.replies.push(reply);
  }
}

function socketError(error: NodeJS.ErrnoException, command: string, duringTls: boolean): DialogueError {
  return dialogueError(error.message, {
    code: duringTls ? 'ETLS' : 'ESOCKET',
    originalCode: error.code,
    command,
  });
}
