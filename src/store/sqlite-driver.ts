import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  SqliteAdapter,
  SqliteDialect,
} from 'kysely';
import Database from 'libsql';
import { StoreUnavailableError } from './store.ts';

type LibsqlDatabase = InstanceType<typeof Database>;
type Statement = ReturnType<LibsqlDatabase['prepare']>;

/** How long SQLite itself waits for another process's lock, per attempt. */
const BUSY_TIMEOUT_MS = 1000;
/** How long a statement keeps retrying a busy database before the caller gets "unavailable" (503). */
const BUSY_BUDGET_MS = 5000;

/** SQLITE_BUSY and its extended codes (BUSY_SNAPSHOT, BUSY_RECOVERY, ...), and SQLITE_LOCKED. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/**
 * Runs `attempt` again while the database is busy (another process writing, or this connection's
 * snapshot overtaken), with a growing pause, for at most BUSY_BUDGET_MS; then StoreUnavailableError.
 */
async function retryBusy<T>(attempt: () => T, onBusy: () => void): Promise<T> {
  const started = Date.now();
  for (let tries = 0; ; tries++) {
    try {
      return attempt();
    } catch (error) {
      if (!isBusy(error)) throw error;
      onBusy();
      if (Date.now() - started >= BUSY_BUDGET_MS)
        throw new StoreUnavailableError('the database is busy (another process holds its write lock)', {
          cause: error,
        });
      const pause = Math.min(25 * 2 ** tries, 400);
      await new Promise((resolve) => setTimeout(resolve, pause / 2 + Math.random() * pause));
    }
  }
}

function open(file: string): LibsqlDatabase {
  const database = new Database(file);
  try {
    // First, so that switching to WAL waits for a process that is starting at the same time.
    database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    database.pragma('journal_mode = WAL');
    database.pragma('foreign_keys = ON');
  } catch (error) {
    database.close();
    throw error;
  }
  return database;
}

/**
 * The one connection to the SQLite file. Compiled statements are kept and reused (preparing was a
 * sixth of an API request's time; the service issues a small, fixed set of SQL texts). libsql cannot
 * reset a statement: one that failed busy stays "in progress" and pins this connection to an old
 * snapshot for good (stale reads, every later write busy). So after a busy error the connection is
 * closed and opened again, at once or, inside a transaction, right after its rollback.
 */
class SqliteConnection implements DatabaseConnection {
  #database: LibsqlDatabase;
  #statements = new Map<string, Statement>();
  #stale = false;
  #dataVersion?: Statement;
  #lastDataVersion: number | undefined;
  #changes = 0;
  /** Whether `#changes` is current for the request being served: see `changeCount`. */
  #counted = false;

  constructor(
    readonly file: string,
    database: LibsqlDatabase,
    readonly capacity = 500,
  ) {
    this.#database = database;
  }

  static async open(file: string): Promise<SqliteConnection> {
    return new SqliteConnection(
      file,
      await retryBusy(
        () => open(file),
        () => {},
      ),
    );
  }

  async executeQuery<R>({ sql, parameters }: CompiledQuery): Promise<QueryResult<R>> {
    const run = () => {
      if (this.#stale && !this.#database.inTransaction) this.#reopen();
      return this.#execute<R>(sql, parameters as unknown[]);
    };
    if (!this.#database.inTransaction) return retryBusy(run, () => this.#markStale());
    // Inside a transaction a retry would repeat one statement of it: fail it (it is rolled back), as unavailable.
    try {
      return run();
    } catch (error) {
      if (!isBusy(error)) throw error;
      this.#markStale();
      throw new StoreUnavailableError('the database is busy', { cause: error });
    }
  }

  // biome-ignore lint/correctness/useYield: the store never streams; Kysely's interface requires the method.
  async *streamQuery(): AsyncIterableIterator<never> {
    throw new Error('streaming queries are not supported on SQLite');
  }

  close(): void {
    this.#counted = false;
    this.#statements.clear();
    this.#dataVersion = undefined;
    this.#lastDataVersion = undefined;
    this.#database.close();
  }

  /**
   * Counts the commits of other connections (other processes) seen so far, through SQLite's
   * data_version, which this connection's own commits leave alone; a reopened connection counts as
   * a change. Undefined while the connection is stale (its snapshot may be old) or cannot tell.
   *
   * Reading data_version is a statement of its own (about 8 µs), so one count serves until the next
   * request arrives (`recount`), and at most until this event-loop turn ends: a request's reads then
   * see every commit made before it arrived, and other readers (the workers) lag by less than a turn.
   */
  changeCount(): number | undefined {
    if (this.#stale) return undefined;
    if (this.#counted) return this.#changes;
    try {
      this.#dataVersion ??= this.#database.prepare('PRAGMA data_version');
      const { data_version: version } = this.#dataVersion.get([]) as { data_version: number };
      if (version !== this.#lastDataVersion) {
        this.#lastDataVersion = version;
        this.#changes++;
      }
      this.#counted = true;
      setImmediate(() => this.recount());
      return this.#changes;
    } catch {
      this.#dataVersion = undefined;
      return undefined;
    }
  }

  #execute<R>(sql: string, parameters: unknown[]): QueryResult<R> {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#database.prepare(sql);
      if (this.#statements.size >= this.capacity) this.#statements.delete(this.#statements.keys().next().value!);
      this.#statements.set(sql, statement);
    }
    try {
      if (statement.reader) return { rows: statement.all(parameters) as R[] };
      const { changes, lastInsertRowid } = statement.run(parameters);
      return {
        numAffectedRows: changes == null ? undefined : BigInt(changes),
        insertId: lastInsertRowid == null ? undefined : BigInt(lastInsertRowid),
        rows: [],
      };
    } catch (error) {
      // Never reuse a statement that failed.
      this.#statements.delete(sql);
      throw error;
    }
  }

  /** The next `changeCount` reads data_version again. */
  recount(): void {
    this.#counted = false;
  }

  #markStale(): void {
    // An in-memory database has no other writer to be busy with, and reopening would empty it.
    if (this.file !== ':memory:') this.#stale = true;
  }

  #reopen(): void {
    this.#stale = false;
    this.close();
    this.#database = open(this.file);
  }
}

/** Kysely runs one query at a time on the single connection: callers wait their turn. */
class SqliteFileDriver implements Driver {
  #connection?: SqliteConnection;
  #queue: Promise<void> = Promise.resolve();
  #release?: () => void;

  constructor(readonly file: string) {}

  async init(): Promise<void> {
    this.#connection = await SqliteConnection.open(this.file);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#queue;
    let release!: () => void;
    this.#queue = new Promise((resolve) => {
      release = resolve;
    });
    await previous;
    this.#release = release;
    return this.#connection!;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    // Every transaction here reads then writes: take the write lock up front, so no other process's
    // commit can overtake its snapshot half-way (SQLITE_BUSY_SNAPSHOT), and concurrent ones queue.
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  async destroy(): Promise<void> {
    this.#connection?.close();
    this.#connection = undefined;
  }

  changeCount(): number | undefined {
    return this.#connection?.changeCount();
  }

  requestArrived(): void {
    this.#connection?.recount();
  }
}

/** SQLite runs DDL in transactions, so migrations run inside BEGIN IMMEDIATE: processes starting together take turns. */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/** Kysely's SQLite dialect over a libsql file, with the connection and driver above. */
export class SqliteFileDialect extends SqliteDialect {
  #driver?: SqliteFileDriver;

  constructor(readonly file: string) {
    super({ database: {} as never });
  }

  override createDriver(): Driver {
    this.#driver = new SqliteFileDriver(this.file);
    return this.#driver;
  }

  /** Moves whenever another process committed to the file; undefined when that cannot be told now. */
  changeCount(): number | undefined {
    return this.#driver?.changeCount();
  }

  /** A request arrived: the next `changeCount` reads the file's data_version again. */
  requestArrived(): void {
    this.#driver?.requestArrived();
  }

  override createAdapter(): SqliteAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}
