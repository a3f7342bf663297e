import net from 'node:net';

/** A TCP server on 127.0.0.1 that accepts connections and never says a word (no SMTP greeting). */
export interface SilentServer {
  port: number;
  /** Resolves when the next connection arrives (or has already arrived since the last call). */
  nextConnection(): Promise<void>;
  close(): Promise<void>;
}

export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<net.Socket>();
  let arrived = 0;
  let waiter: (() => void) | undefined;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    arrived++;
    waiter?.();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    nextConnection() {
      if (arrived > 0) {
        arrived--;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        waiter = () => {
          waiter = undefined;
          arrived--;
          resolve();
        };
      });
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
