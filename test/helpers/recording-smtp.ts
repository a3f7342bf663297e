import net from 'node:net';

/** A plain SMTP server (no TLS, no AUTH) that refuses the listed recipients and records every command. */
export interface RecordingSmtpServer {
  port: number;
  /** The commands of each session, in order (verb only, e.g. EHLO, MAIL, RCPT, QUIT). */
  sessions: string[][];
  /** Whether each session's connection has closed, by the same index. */
  closed: boolean[];
  close(): Promise<void>;
}

export async function startRecordingSmtpServer(refuse: string[]): Promise<RecordingSmtpServer> {
  const sessions: string[][] = [];
  const closed: boolean[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const commands: string[] = [];
    const index = sessions.push(commands) - 1;
    closed[index] = false;
    let buffer = '';
    let inData = false;
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      closed[index] = true;
    });
    socket.write('220 recorder ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (let at = buffer.indexOf('\r\n'); at >= 0; at = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            socket.write('250 queued\r\n');
          }
          continue;
        }
        const verb = line.split(/[ :]/)[0].toUpperCase();
        commands.push(verb);
        if (verb === 'EHLO') socket.write('250-recorder\r\n250 8BITMIME\r\n');
        else if (verb === 'RCPT' && refuse.some((address) => line.includes(`<${address}>`)))
          socket.write('550 5.1.1 No such user here\r\n');
        else if (verb === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    sessions,
    closed,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
