import { type Kysely, PostgresAdapter, sql } from 'kysely';
import { STORE_CHANGES_CHANNEL } from '../postgres-changes.ts';

/**
 * On PostgreSQL, every committed change to API tokens, email servers or orgs is announced on a
 * notification channel, so each instance drops what it cached. A token's last-used time is left
 * out: it changes nothing a request decides, and it is written often. SQLite needs nothing here:
 * its only other writer (the CLI) is seen through the file's data_version.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`
    create function mailroute_announce_change() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE' and tg_table_name = 'api_tokens'
        and to_jsonb(old) - 'last_used_at' = to_jsonb(new) - 'last_used_at' then
        return null;
      end if;
      perform pg_notify(${sql.lit(STORE_CHANGES_CHANNEL)}, tg_table_name);
      return null;
    end
    $$`.execute(db);
  for (const table of ['api_tokens', 'email_servers', 'orgs']) {
    await sql`
      create trigger ${sql.id(`${table}_announce_change`)}
      after insert or update or delete on ${sql.id(table)}
      for each row execute function mailroute_announce_change()`.execute(db);
  }
}
