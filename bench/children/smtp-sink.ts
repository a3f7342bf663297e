// An SMTP sink in its own process: smtp-server with STARTTLS (the test CA) and AUTH accepting any
// credentials. It only counts messages, so it costs the senders as little as possible. Like
// smtp-server itself (and Postfix's greet pause) it waits 100 ms before greeting a new connection.
import { SMTPServer } from 'smtp-server';
import { TEST_TLS } from '../../test/helpers/smtp-server.ts';

let received = 0;
const waiters: Array<{ count: number; wake: () => void }> = [];

const server = new SMTPServer({
  key: TEST_TLS.key,
  cert: TEST_TLS.cert,
  authMethods: ['PLAIN', 'LOGIN'],
  authOptional: true,
  logger: false,
  // A PTR query for 127.0.0.1 would leave the machine (c-ares asks the configured resolver).
  disableReverseLookup: true,
  // Room for every sender's pool plus the one-connection-per-message runs.
  maxClients: 1000,
  onAuth(auth, _session, callback) {
    callback(null, { user: auth.username });
  },
  onData(stream, _session, callback) {
    stream.on('data', () => {});
    stream.on('end', () => {
      received++;
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (received >= waiters[i].count) waiters.splice(i, 1)[0].wake();
      }
      callback();
    });
  },
});
server.on('error', () => {});

server.listen(0, '127.0.0.1', () => {
  const { port } = (server as unknown as { server: { address(): { port: number } } }).server.address();
  process.send?.({ ready: `smtp://127.0.0.1:${port}` });
});

process.on('message', (message: { id: number; op: 'count' | 'reset' | 'waitFor'; count?: number }) => {
  const reply = (result: unknown) => process.send?.({ id: message.id, result });
  if (message.op === 'count') reply(received);
  else if (message.op === 'reset') {
    received = 0;
    reply(0);
  } else if (message.op === 'waitFor') {
    if (received >= (message.count ?? 0)) reply(received);
    else waiters.push({ count: message.count ?? 0, wake: () => reply(received) });
  }
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('disconnect', () => process.exit(0));
