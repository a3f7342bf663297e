import { StoreUnavailableError } from './store.ts';

// Socket errors, and PostgreSQL's SQLSTATEs for "server going away" (57P0x) and "connection" (08xxx).
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  '57P01',
  '57P02',
  '57P03',
]);
// node-postgres reports a dropped or timed-out connection with these messages and no code.
const UNREACHABLE_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended/i;

/** True for connection-level failures of the database driver, rather than errors in a query. */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  if (!error || typeof error !== 'object') return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = String(code ?? '');
  return UNREACHABLE_CODES.has(text) || text.startsWith('08') || UNREACHABLE_MESSAGES.test(String(message ?? ''));
}

function rethrow(error: unknown): never {
  if (error instanceof StoreUnavailableError || !isConnectionFailure(error)) throw error;
  throw new StoreUnavailableError('the database cannot be reached', { cause: error });
}

const wrapped = new WeakMap<object, object>();

/**
 * Wraps every method of a store (and of its nested stores, including ones added later) so a lost
 * database connection surfaces as StoreUnavailableError, whichever caller (route, worker, CLI) hit it.
 */
export function mapUnavailable<T extends object>(target: T): T {
  const cached = wrapped.get(target);
  if (cached) return cached as T;
  const proxy = new Proxy(target, {
    get(object, key) {
      // No receiver: getters and private fields must see the real object, not the proxy.
      const value = Reflect.get(object, key);
      if (typeof value === 'function') {
        return (...args: unknown[]) => {
          try {
            const result = value.apply(object, args);
            return result instanceof Promise ? result.catch(rethrow) : result;
          } catch (error) {
            rethrow(error);
          }
        };
      }
      if (value && typeof value === 'object' && !(value instanceof Promise) && !Array.isArray(value))
        return mapUnavailable(value);
      return value;
    },
  });
  wrapped.set(target, proxy);
  return proxy;
}
