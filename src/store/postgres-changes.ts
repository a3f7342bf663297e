import type { Client } from 'pg';
import type { ChangeWatch } from './read-cache.ts';

/** The channel PostgreSQL's triggers announce changes to cached tables on. */
export const STORE_CHANGES_CHANNEL = 'mailroute_store_changes';

/** How often the listening connection is asked a question, and how long it may take to answer. */
const HEARTBEAT_MS = 2000;
const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 5000;

type Pg = typeof import('pg').default;

/**
 * Listens on the change channel on a connection of its own. Each notification moves the version,
 * and so does every reconnect, since notifications sent while the channel was down are lost. While
 * it is down the version is undefined and caches are bypassed. The heartbeat finds a connection
 * that died without a word (a cut network) within two heartbeats.
 */
export async function watchPostgresChanges(pg: Pg, databaseUrl: string): Promise<ChangeWatch> {
  let version = 0;
  let live = false;
  let closed = false;
  let client: Client | undefined;
  let retryInMs = RECONNECT_FIRST_MS;
  let reconnect: NodeJS.Timeout | undefined;

  function lose(which: Client): void {
    if (which !== client) return;
    client = undefined;
    live = false;
    version++;
    which.end().catch(() => {});
    if (closed) return;
    reconnect = setTimeout(connect, retryInMs);
    retryInMs = Math.min(retryInMs * 2, RECONNECT_MAX_MS);
  }

  async function connect(): Promise<void> {
    const next = new pg.Client({
      connectionString: databaseUrl,
      // The process id tells an operator (and a test) whose listener a connection is.
      application_name: `mailroute store changes ${process.pid}`,
      keepAlive: true,
      connectionTimeoutMillis: HEARTBEAT_MS * 2,
      query_timeout: HEARTBEAT_MS,
    });
    client = next;
    next.on('notification', () => {
      version++;
    });
    next.on('error', () => lose(next));
    next.on('end', () => lose(next));
    try {
      await next.connect();
      await next.query(`listen ${STORE_CHANGES_CHANNEL}`);
    } catch {
      lose(next);
      return;
    }
    if (client !== next) return;
    live = true;
    version++;
    retryInMs = RECONNECT_FIRST_MS;
  }

  const heartbeat = setInterval(() => {
    const current = client;
    if (live && current) current.query('select 1').catch(() => lose(current));
  }, HEARTBEAT_MS).unref();

  await connect();
  return {
    version: () => (live ? version : undefined),
    async close() {
      closed = true;
      clearInterval(heartbeat);
      clearTimeout(reconnect);
      const current = client;
      client = undefined;
      live = false;
      await current?.end().catch(() => {});
    },
  };
}
