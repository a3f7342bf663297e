import SMTPPool, { type SMTPPoolOptions } from 'nodemailer/lib/smtp-pool';

/** How long a server may take to answer QUIT before the socket is closed anyway. */
const QUIT_GRACE_MS = 5_000;

/** The parts of nodemailer's pool resource and connection this reads; nodemailer does not type them. */
interface PoolConnection {
  _destroyed?: boolean;
  _closing?: boolean;
  _socket?: { destroyed?: boolean; writable?: boolean };
  _responseActions?: unknown[];
  quit(): void;
  close(): void;
  login(auth: unknown, callback: (error?: Error | null) => void): void;
  send(envelope: unknown, message: unknown, callback: (error: Error | null, info?: unknown) => void): void;
}
/** A message in the pool: its callback, and the server's reply if one refused it and closed. */
interface QueueEntry {
  callback(error: Error | null): void;
  refusal?: Error;
}
interface PoolResource {
  connection?: PoolConnection;
  queueEntry?: QueueEntry | false;
  messages: number;
  options: { maxMessages: number };
  _connected?: boolean;
  _sending?: boolean;
  _closed?: boolean;
  close(): void;
  _release(): void;
}

/** Between messages and still talking to us: the only state in which QUIT means anything. */
function sessionIsIdle(resource: PoolResource): boolean {
  const connection = resource.connection;
  return Boolean(
    connection && resource._connected && !resource._closed && !resource._sending && connectionIsIdle(connection),
  );
}

/** Still talking to us with nothing outstanding. */
function connectionIsIdle(connection: PoolConnection): boolean {
  return Boolean(
    !connection._destroyed &&
      !connection._closing &&
      !connection._responseActions?.length &&
      connection._socket &&
      !connection._socket.destroyed &&
      connection._socket.writable,
  );
}

/** A sign-in the server refused (or that never started) leaves the session open; a 421 does not. */
export function signInLeftSessionOpen(connection: unknown, error: Error): boolean {
  const code = (error as { responseCode?: number }).responseCode;
  return code !== 421 && connectionIsIdle(connection as PoolConnection);
}

const signInWrapped = new WeakSet<PoolConnection>();
/** The pool drops a connection whose sign-in failed: say QUIT first while the session is open. */
function quitAfterRefusedSignIn(connection: PoolConnection): void {
  if (signInWrapped.has(connection)) return;
  signInWrapped.add(connection);
  const login = connection.login.bind(connection);
  connection.login = (auth, callback) =>
    login(auth, (error) => {
      if (error && signInLeftSessionOpen(connection, error)) connection.quit();
      callback(error);
    });
}

const sendWrapped = new WeakSet<PoolConnection>();
/** Notes on the message the reply that refused it, should the pool then try to retry it in secret. */
function keepRefusals(resource: PoolResource, connection: PoolConnection): void {
  if (sendWrapped.has(connection)) return;
  sendWrapped.add(connection);
  const send = connection.send.bind(connection);
  connection.send = (envelope, message, callback) =>
    send(envelope, message, (error, info) => {
      const entry = resource.queueEntry;
      if (error && (error as { responseCode?: number }).responseCode && entry) entry.refusal = error;
      callback(error, info);
    });
}

/** Ends the session with QUIT; the socket closes on the server's 221 (or after a grace period). */
export function quitGracefully(connection: Pick<PoolConnection, 'quit' | 'close'>): void {
  connection.quit();
  setTimeout(() => connection.close(), QUIT_GRACE_MS).unref();
}

/**
 * nodemailer's pool, except that a connection it gives up on while the session is idle (the pool
 * closed or rebuilt, a connection that has sent its share of messages, a refused sign-in) says
 * QUIT instead of dropping the socket, which servers log as an aborted session and some count
 * against the client. A connection in the middle of a message, or already broken, is still closed
 * at once; idle connections already QUIT on their own timer. The pool offers no hook for this, so
 * it wraps the pool's own resources; the delivery QUIT tests notice if nodemailer changes them.
 */
class QuittingSmtpPool extends SMTPPool {
  _createConnection(): PoolResource {
    const create = (SMTPPool.prototype as unknown as { _createConnection(): PoolResource })._createConnection;
    const resource = create.call(this);
    // Each connection the resource opens gets the sign-in wrapper as it is assigned.
    let current: PoolConnection | undefined;
    Object.defineProperty(resource, 'connection', {
      configurable: true,
      enumerable: true,
      get: () => current,
      set(connection: PoolConnection | undefined) {
        if (connection) {
          quitAfterRefusedSignIn(connection);
          keepRefusals(resource, connection);
        }
        current = connection;
      },
    });
    const close = resource.close.bind(resource);
    resource.close = () => {
      const connection = resource.connection;
      if (!connection || !sessionIsIdle(resource)) return close();
      // The resource's own close would drop the socket: detach the connection while it runs.
      resource.connection = undefined;
      close();
      resource.connection = connection;
      quitGracefully(connection);
    };
    const release = resource._release.bind(resource);
    resource._release = () => {
      // Used up: leave with QUIT (the pool replaces a closed resource as it would an exhausted one).
      if (resource.messages >= resource.options.maxMessages && sessionIsIdle(resource)) return resource.close();
      release();
    };
    return resource;
  }

  /**
   * A reused connection refused with 421 before the message went out is closed and the message
   * quietly retried on a new one. A reply such as `421 4.7.0 slow down` is the sender's to hear
   * (its throttle counts it and slows down), so such a message fails with that reply instead.
   */
  _shouldRequeuOnConnectionClose(entry: QueueEntry): boolean {
    if (entry.refusal) return false;
    return poolInternals._shouldRequeuOnConnectionClose.call(this, entry);
  }

  _failDeliveryOnConnectionClose(resource: PoolResource): void {
    const entry = resource.queueEntry || undefined;
    if (!entry?.refusal) {
      poolInternals._failDeliveryOnConnectionClose.call(this, resource);
      return;
    }
    resource.queueEntry = false;
    entry.callback(entry.refusal);
  }
}

/** The pool's own methods this overrides; nodemailer does not type them. */
const poolInternals = SMTPPool.prototype as unknown as {
  _shouldRequeuOnConnectionClose(entry: QueueEntry): boolean;
  _failDeliveryOnConnectionClose(resource: PoolResource): void;
};

export function createQuittingPool(options: SMTPPoolOptions): SMTPPool {
  return new QuittingSmtpPool(options);
}
