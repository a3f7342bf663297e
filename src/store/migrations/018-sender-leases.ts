import type { Kysely } from 'kysely';

/**
 * Which instance sends to each server with a connection limit: one at a time, so the connections
 * of every instance together stay within the server's limit.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sender_leases')
    .addColumn('server_key', 'varchar(128)', (col) => col.primaryKey())
    .addColumn('holder', 'varchar(200)', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .execute();
}
