import { startSmtpServer, type TestSmtpServer } from './smtp-server.ts';

export interface ThrottlingSmtpOptions {
  /** Connections open at once; one more is answered `432 4.3.2` and closed. */
  maxConnections: number;
  /** Messages per `windowMs`, as a token bucket refilled evenly; past it MAIL FROM gets `421 4.7.0`. */
  messagesPerWindow: number;
  windowMs: number;
  /** How long each accepted MAIL FROM takes to answer: a slow server, so sends overlap. */
  replyDelayMs?: number;
}

export interface ThrottlingSmtpServer extends TestSmtpServer {
  /** When each accepted message's MAIL FROM arrived (ms). */
  acceptedAt: number[];
  /** Replies that told the client to slow down: `432` connections and `421` messages. */
  throttled: { connections: number; messages: number };
  /** The most connections that were open at once. */
  peakConnections: number;
}

function reply(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

/**
 * A real SMTP server (plain, no AUTH required) that throttles like Microsoft 365, scaled: a 4th
 * connection gets `432 4.3.2 Concurrent connections limit exceeded`, and messages beyond the rate
 * get `421 4.7.0`. The rate is a token bucket, so a sender keeping to it evenly is never refused.
 */
export async function startThrottlingSmtpServer(opts: ThrottlingSmtpOptions): Promise<ThrottlingSmtpServer> {
  const open = new Set<string>();
  const acceptedAt: number[] = [];
  const throttled = { connections: 0, messages: 0 };
  let peakConnections = 0;
  let tokens = opts.messagesPerWindow;
  let refilledAt = Date.now();
  const server = await startSmtpServer({
    tls: 'none',
    options: {
      onConnect(session, callback) {
        if (open.size >= opts.maxConnections) {
          throttled.connections++;
          return callback(reply(432, '4.3.2 Concurrent connections limit exceeded'));
        }
        open.add(session.id);
        peakConnections = Math.max(peakConnections, open.size);
        callback();
      },
      onClose(session) {
        open.delete(session.id);
      },
      onMailFrom(_address, _session, callback) {
        const at = Date.now();
        tokens = Math.min(
          opts.messagesPerWindow,
          tokens + ((at - refilledAt) * opts.messagesPerWindow) / opts.windowMs,
        );
        refilledAt = at;
        if (tokens < 1) {
          throttled.messages++;
          return callback(reply(421, '4.7.0 Too many messages, slow down'));
        }
        tokens -= 1;
        acceptedAt.push(at);
        setTimeout(callback, opts.replyDelayMs ?? 0);
      },
    },
  });
  return {
    ...server,
    acceptedAt,
    throttled,
    get peakConnections() {
      return peakConnections;
    },
  };
}
