import net from 'node:net';

/**
 * An SMTP server on 127.0.0.1 that keeps every session alive and never lets it finish: it greets,
 * then either dribbles `250-` continuation lines after EHLO forever (`ehlo`), or takes the envelope
 * and the message and dribbles them after the final dot (`data`). Each line resets the client's
 * socket timeout, so only an overall deadline ends the send.
 */
export interface TarpitServer {
  port: number;
  /** Sessions opened so far. */
  readonly connections: number;
  /** Messages whose DATA was sent in full (never answered). */
  readonly swallowed: number;
  close(): Promise<void>;
}

export async function startTarpitServer(
  opts: { stall?: 'ehlo' | 'data'; dribbleMs?: number } = {},
): Promise<TarpitServer> {
  const stall = opts.stall ?? 'data';
  const dribbleMs = opts.dribbleMs ?? 500;
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let connections = 0;
  let swallowed = 0;

  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    let inData = false;
    let buffered = '';
    const dribble = () => {
      const timer = setInterval(() => socket.writable && socket.write('250-still working\r\n'), dribbleMs);
      timers.add(timer);
      socket.on('close', () => {
        clearInterval(timer);
        timers.delete(timer);
      });
    };
    socket.on('close', () => sockets.delete(socket));
    socket.write('220 tarpit.example ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      for (let round = 0; round < 10_000; round++) {
        if (inData) {
          const end = buffered.indexOf('\r\n.\r\n');
          if (end === -1) return;
          buffered = buffered.slice(end + 5);
          inData = false;
          swallowed++;
          dribble();
          continue;
        }
        const newline = buffered.indexOf('\r\n');
        if (newline === -1) return;
        const line = buffered.slice(0, newline).toUpperCase();
        buffered = buffered.slice(newline + 2);
        if (line.startsWith('EHLO')) {
          if (stall === 'ehlo') {
            socket.write('250-tarpit.example\r\n');
            dribble();
          } else socket.write('250-tarpit.example\r\n250 8BITMIME\r\n');
        } else if (line.startsWith('HELO') || line.startsWith('MAIL') || line.startsWith('RCPT')) {
          socket.write('250 OK\r\n');
        } else if (line.startsWith('DATA')) {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (line.startsWith('QUIT')) {
          socket.end('221 bye\r\n');
        } else if (line.startsWith('RSET') || line.startsWith('NOOP')) {
          socket.write('250 OK\r\n');
        } else {
          socket.write('502 not implemented\r\n');
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    get connections() {
      return connections;
    },
    get swallowed() {
      return swallowed;
    },
    close() {
      for (const timer of timers) clearInterval(timer);
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
