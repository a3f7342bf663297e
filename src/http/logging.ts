import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import pino from 'pino';
import { SECRET_FIELDS } from '../schemas/auth-types.ts';

/** Paths and headers that never reach the logs: secret fields at the top of a line or one level down. */
export const LOG_REDACTIONS = [
  'req.headers.authorization',
  'req.headers.dpop',
  'req.headers.cookie',
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]),
];

type Bindings = Record<string, unknown>;
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];
type LogArguments = Parameters<FastifyBaseLogger['info']>;

/**
 * The per-request logger fastify asks for, made only when a request first logs through it: most
 * requests never do (their one line comes from the app's response hook), and a pino child with
 * redaction costs a redaction pass over its bindings.
 */
class LazyChildLogger {
  #made: FastifyBaseLogger | undefined;
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  readonly #options: ChildOptions;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: ChildOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  get #logger(): FastifyBaseLogger {
    this.#made ??= this.#parent.child(this.#bindings, this.#options);
    return this.#made;
  }

  get level(): string {
    return this.#made?.level ?? this.#options?.level ?? this.#parent.level;
  }
  set level(level: string) {
    this.#logger.level = level;
  }
  fatal(...args: LogArguments): void {
    this.#logger.fatal(...args);
  }
  error(...args: LogArguments): void {
    this.#logger.error(...args);
  }
  warn(...args: LogArguments): void {
    this.#logger.warn(...args);
  }
  info(...args: LogArguments): void {
    this.#logger.info(...args);
  }
  debug(...args: LogArguments): void {
    this.#logger.debug(...args);
  }
  trace(...args: LogArguments): void {
    this.#logger.trace(...args);
  }
  silent(): void {}
  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.#logger.child(bindings, options);
  }
}

export function lazyChildLogger(
  parent: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildOptions,
): FastifyBaseLogger {
  return new LazyChildLogger(parent, bindings, options) as unknown as FastifyBaseLogger;
}

/**
 * The service's logger: JSON lines on stdout, written asynchronously (pino flushes them on exit).
 * Each line goes to the writer as bytes: given strings, SonicBoom measures the byte length of
 * everything still waiting on each write, so under load a line cost more the more lines waited.
 */
export function createServiceLogger(level: string, destination: number | string = 1): FastifyBaseLogger {
  // Its types know only the default (utf8) mode's strings.
  const bytes = pino.destination({ dest: destination, sync: false, contentMode: 'buffer' }) as unknown as {
    write(bytes: Buffer): boolean;
  };
  return pino({ level, redact: LOG_REDACTIONS }, { write: (line: string) => bytes.write(Buffer.from(line)) });
}

/**
 * Writes the app's one line per request. It names each field it logs (no header, no body), so no
 * secret can reach it; it skips redaction, whose wildcard paths cost more than the rest of the
 * line. Other lines keep it.
 */
export function requestCompletedLogger(log: FastifyBaseLogger): (request: FastifyRequest, reply: FastifyReply) => void {
  const asIs = (value: unknown) => value;
  const lines = log.child({}, { redact: [], serializers: { req: asIs, res: asIs } });
  return (request, reply) =>
    lines.info(
      {
        reqId: request.id,
        req: {
          method: request.method,
          url: request.url,
          host: request.host,
          remoteAddress: request.ip,
          remotePort: request.socket?.remotePort,
        },
        res: { statusCode: reply.statusCode },
        responseTime: reply.elapsedTime,
      },
      'request completed',
    );
}
