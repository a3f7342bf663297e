import http from 'node:http';

export interface ReceivedCall {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface HookReceiver {
  /** http://127.0.0.1:<port>/hook */
  uri: string;
  port: number;
  calls: ReceivedCall[];
  /** How the receiver answers a verification GET: echo the challenge (default), or something else. */
  verification: 'echo' | 'wrong' | 'redirect' | 'error';
  /** The status event deliveries (POSTs) are answered with; 200 by default. */
  postStatus: number;
  close(): Promise<void>;
}

/**
 * An event hook receiver on 127.0.0.1 that records every call and answers Okta's verification;
 * `port` brings a stopped receiver back where its hooks point.
 */
export async function startHookReceiver(port = 0): Promise<HookReceiver> {
  const calls: ReceivedCall[] = [];
  const receiver = { calls, verification: 'echo', postStatus: 200 } as HookReceiver;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      calls.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      if (req.method !== 'GET') {
        res.writeHead(receiver.postStatus).end();
        return;
      }
      const challenge = req.headers['x-okta-verification-challenge'];
      if (receiver.verification === 'redirect') {
        res.writeHead(302, { location: `http://127.0.0.1:${receiver.port}/elsewhere` }).end();
      } else if (receiver.verification === 'error') {
        res.writeHead(500).end();
      } else {
        const value = receiver.verification === 'echo' ? challenge : 'not-the-challenge';
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ verification: value }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  receiver.port = typeof address === 'object' && address ? address.port : 0;
  receiver.uri = `http://127.0.0.1:${receiver.port}/hook`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}
