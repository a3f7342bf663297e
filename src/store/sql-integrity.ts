import { type Kysely, sql } from 'kysely';
import type { SqlDialect } from './sql-dialect.ts';
import type { Database } from './tables.ts';

/** Every column that holds a SecretBox ciphertext (`mr1.<key id>.<iv>.<body>.<tag>`). */
const SEALED_COLUMNS = [
  ['email_servers', 'password_secret'],
  ['email_servers', 'client_secret_sealed'],
  ['email_servers', 'private_key_sealed'],
  ['outbox_messages', 'content'],
  ['event_hooks', 'auth_value_sealed'],
] as const;

/** The key ids the stored ciphertexts name, read in SQL so a big outbox is never loaded to learn them. */
export async function sealedKeyIds(db: Kysely<Database>, dialect: SqlDialect): Promise<string[]> {
  const selects = SEALED_COLUMNS.map(([table, column]) => {
    const value = sql.ref(column);
    const keyId =
      dialect === 'postgres'
        ? sql`split_part(${value}, '.', 2)`
        : sql`substr(${value}, 5, instr(substr(${value}, 5), '.') - 1)`;
    return sql`select distinct ${keyId} as key_id from ${sql.table(table)} where ${value} like 'mr1.%'`;
  });
  const { rows } = await sql<{ key_id: string }>`${sql.join(selects, sql` union `)}`.execute(db);
  return rows.map((row) => row.key_id).sort();
}

/** SQLite's own page and index check (a few hundred ms per GB); PostgreSQL guards its pages itself. */
export async function integrityProblems(db: Kysely<Database>, dialect: SqlDialect): Promise<string[]> {
  if (dialect !== 'sqlite') return [];
  try {
    const { rows } = await sql<{ quick_check: string }>`pragma quick_check`.execute(db);
    return rows.map((row) => row.quick_check.replace(/\s+/g, ' ').trim()).filter((line) => line !== 'ok');
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)];
  }
}
