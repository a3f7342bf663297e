import type { Kysely } from 'kysely';

/**
 * Each org's health alert addresses, as a JSON array of mailboxes; null: none. A column of text
 * rather than a table: they are read and replaced together, and there are at most a few.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('orgs').addColumn('health_alert_emails', 'text').execute();
}
