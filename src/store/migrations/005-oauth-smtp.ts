import type { Kysely } from 'kysely';

/**
 * OAuth 2.0 sign-in to SMTP servers: Okta's OAUTH2_CLIENT_CREDENTIALS and
 * OAUTH2_JWT_BEARER_GRANT fields. The client secret and the private key are sealed (SecretBox),
 * like passwords; scopes are a JSON array.
 */
const COLUMNS: Array<[string, 'text' | `varchar(${number})`]> = [
  ['token_endpoint', 'varchar(2048)'],
  ['client_id', 'varchar(255)'],
  ['token_endpoint_auth_method', 'varchar(40)'],
  ['scopes', 'text'],
  ['signing_algorithm', 'varchar(20)'],
  ['key_id', 'varchar(255)'],
  ['oauth_issuer', 'varchar(255)'],
  ['oauth_subject', 'varchar(255)'],
  ['oauth_audience', 'varchar(2048)'],
  ['client_secret_sealed', 'text'],
  ['private_key_sealed', 'text'],
];

export async function up(db: Kysely<unknown>): Promise<void> {
  // One column per statement: SQLite's ALTER TABLE adds one at a time.
  for (const [name, type] of COLUMNS) {
    await db.schema.alterTable('email_servers').addColumn(name, type).execute();
  }
}
