import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { AuthType, TokenEndpointAuthMethod } from '../schemas/auth-types.ts';
import type { TlsMode } from '../schemas/tls-modes.ts';
import { auditEventStore } from './audit-store.ts';
import { outboxStore } from './outbox-store.ts';
import {
  type ApiToken,
  type ApiTokenStore,
  type EmailServerChanges,
  type EmailServerRecord,
  type EmailServerStore,
  type Org,
  type OrgStore,
  type SealedServerColumn,
  type Store,
  StoreConflictError,
} from './store.ts';
import type { ApiTokenTable, Database, EmailServerTable } from './tables.ts';

export type SqlDialect = 'sqlite' | 'postgres';

/**
 * The store over Kysely. Both adapters share this code; they differ only in how the connection is
 * made (sqlite.ts, postgres.ts) and in the few places `dialect` is consulted.
 */
export function createSqlStore(db: Kysely<Database>, dialect: SqlDialect, close: () => Promise<void>): Store {
  return {
    kind: dialect,
    orgs: orgStore(db, dialect),
    apiTokens: apiTokenStore(db),
    emailServers: emailServerStore(db, dialect),
    outbox: outboxStore(db, dialect),
    auditEvents: auditEventStore(db),
    async ping() {
      await sql`select 1`.execute(db);
    },
    close,
  };
}

/** Any constant: the key of the advisory lock that serialises first-start bootstrap on PostgreSQL. */
const BOOTSTRAP_LOCK_KEY = 704_118_305;

function orgStore(db: Kysely<Database>, dialect: SqlDialect): OrgStore {
  const toOrg = (row: { id: string; name: string; created_at: number }): Org => ({
    id: row.id,
    name: row.name,
    createdAt: Number(row.created_at),
  });
  return {
    async create(org) {
      await db.insertInto('orgs').values({ id: org.id, name: org.name, created_at: org.createdAt }).execute();
    },
    async createFirst(org) {
      // Instances starting together on an empty database must create one default org, not one each.
      // The insert-if-empty is one statement (atomic on SQLite); PostgreSQL also needs the lock,
      // because under READ COMMITTED two such statements would not see each other's row.
      return db.transaction().execute(async (trx) => {
        if (dialect === 'postgres')
          await sql`select pg_advisory_xact_lock(${sql.lit(BOOTSTRAP_LOCK_KEY)})`.execute(trx);
        const result = await sql`insert into orgs (id, name, created_at)
          select ${org.id}, ${org.name}, cast(${org.createdAt} as bigint)
          where not exists (select 1 from orgs)`.execute(trx);
        return Number(result.numAffectedRows ?? 0) > 0;
      });
    },
    async get(id) {
      const row = await db.selectFrom('orgs').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toOrg(row);
    },
    async list() {
      return (await db.selectFrom('orgs').selectAll().orderBy('created_at').execute()).map(toOrg);
    },
  };
}

function toApiToken(row: Selectable<ApiTokenTable>): ApiToken {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    scopes: row.scopes === null ? null : (JSON.parse(row.scopes) as string[]),
    createdAt: Number(row.created_at),
    expiresAt: nullableNumber(row.expires_at),
    revokedAt: nullableNumber(row.revoked_at),
    lastUsedAt: nullableNumber(row.last_used_at),
  };
}

function apiTokenStore(db: Kysely<Database>): ApiTokenStore {
  return {
    async create(token, tokenHash) {
      await db
        .insertInto('api_tokens')
        .values({
          id: token.id,
          org_id: token.orgId,
          name: token.name,
          token_hash: tokenHash,
          scopes: token.scopes === null ? null : JSON.stringify(token.scopes),
          created_at: token.createdAt,
          expires_at: token.expiresAt,
          revoked_at: token.revokedAt,
          last_used_at: token.lastUsedAt,
        })
        .execute();
    },
    async findByHash(tokenHash) {
      const row = await db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row && { token: toApiToken(row), tokenHash: row.token_hash };
    },
    async get(id) {
      const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toApiToken(row);
    },
    async list(orgId) {
      let query = db.selectFrom('api_tokens').selectAll().orderBy('created_at');
      if (orgId) query = query.where('org_id', '=', orgId);
      return (await query.execute()).map(toApiToken);
    },
    async revoke(id, at) {
      const result = await db
        .updateTable('api_tokens')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async touch(id, at) {
      await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
    },
    async count() {
      const row = await db
        .selectFrom('api_tokens')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

function toEmailServer(row: Selectable<EmailServerTable>): EmailServerRecord {
  return {
    id: row.id,
    orgId: row.org_id,
    alias: row.alias,
    host: row.host,
    port: Number(row.port),
    username: row.username,
    authType: row.auth_type as AuthType,
    passwordSecret: row.password_secret,
    enabled: Number(row.enabled) === 1,
    tlsMode: row.tls_mode as TlsMode | null,
    caCertificate: row.ca_certificate,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    ...oauthFieldsOf(row),
  };
}

/** OAuth 2.0 sign-in fields (migration 005), present only when set: password servers read as before. */
function oauthFieldsOf(row: Selectable<EmailServerTable>): Partial<EmailServerRecord> {
  const fields: Partial<EmailServerRecord> = {
    tokenEndpoint: row.token_endpoint,
    clientId: row.client_id,
    tokenEndpointAuthMethod: row.token_endpoint_auth_method as TokenEndpointAuthMethod | null,
    scopes: row.scopes ? (JSON.parse(row.scopes) as string[]) : null,
    signingAlgorithm: row.signing_algorithm,
    keyId: row.key_id,
    issuer: row.oauth_issuer,
    subject: row.oauth_subject,
    audience: row.oauth_audience,
    clientSecretSealed: row.client_secret_sealed,
    privateKeySealed: row.private_key_sealed,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null && value !== undefined));
}

const COLUMN_OF = {
  alias: 'alias',
  host: 'host',
  port: 'port',
  username: 'username',
  authType: 'auth_type',
  passwordSecret: 'password_secret',
  enabled: 'enabled',
  tlsMode: 'tls_mode',
  caCertificate: 'ca_certificate',
  updatedAt: 'updated_at',
  tokenEndpoint: 'token_endpoint',
  clientId: 'client_id',
  tokenEndpointAuthMethod: 'token_endpoint_auth_method',
  scopes: 'scopes',
  signingAlgorithm: 'signing_algorithm',
  keyId: 'key_id',
  issuer: 'oauth_issuer',
  subject: 'oauth_subject',
  audience: 'oauth_audience',
  clientSecretSealed: 'client_secret_sealed',
  privateKeySealed: 'private_key_sealed',
} as const satisfies Record<keyof EmailServerChanges, keyof EmailServerTable>;

const SEALED_COLUMN_OF = {
  passwordSecret: 'password_secret',
  clientSecretSealed: 'client_secret_sealed',
  privateKeySealed: 'private_key_sealed',
} as const satisfies Record<SealedServerColumn, keyof EmailServerTable>;

function toColumns(changes: EmailServerChanges): Partial<EmailServerTable> {
  const columns: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(changes)) {
    const column = COLUMN_OF[key as keyof EmailServerChanges];
    if (value === undefined || column === undefined) continue;
    columns[column] =
      typeof value === 'boolean' ? (value ? 1 : 0) : Array.isArray(value) ? JSON.stringify(value) : value;
  }
  return columns as Partial<EmailServerTable>;
}

export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === '23505' || (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT'));
}

function emailServerStore(db: Kysely<Database>, dialect: SqlDialect): EmailServerStore {
  const byOrg = (orgId: string) => db.selectFrom('email_servers').selectAll().where('org_id', '=', orgId);

  /** Serialises writers of one org on PostgreSQL; SQLite already has a single writer. */
  async function lockOrg(trx: Transaction<Database>, orgId: string): Promise<void> {
    if (dialect === 'postgres') await trx.selectFrom('orgs').select('id').where('id', '=', orgId).forUpdate().execute();
  }

  return {
    async list(orgId) {
      return (await byOrg(orgId).orderBy('created_at').orderBy('id').execute()).map(toEmailServer);
    },
    async get(orgId, id) {
      const row = await byOrg(orgId).where('id', '=', id).executeTakeFirst();
      return row && toEmailServer(row);
    },
    async getEnabled(orgId) {
      const row = await byOrg(orgId).where('enabled', '=', 1).executeTakeFirst();
      return row && toEmailServer(row);
    },
    async create(record, maxPerOrg) {
      try {
        await db.transaction().execute(async (trx) => {
          await lockOrg(trx, record.orgId);
          const { n } = await trx
            .selectFrom('email_servers')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('org_id', '=', record.orgId)
            .executeTakeFirstOrThrow();
          if (Number(n) >= maxPerOrg) throw new StoreConflictError('enrolment_limit');
          await trx
            .insertInto('email_servers')
            .values({
              id: record.id,
              org_id: record.orgId,
              created_at: record.createdAt,
              ...toColumns(record),
            } as EmailServerTable)
            .execute();
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new StoreConflictError('one_enabled_server');
        throw error;
      }
    },
    async update(orgId, id, changes) {
      try {
        const row = await db
          .updateTable('email_servers')
          .set(toColumns(changes))
          .where('org_id', '=', orgId)
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst();
        return row && toEmailServer(row);
      } catch (error) {
        if (isUniqueViolation(error)) throw new StoreConflictError('one_enabled_server');
        throw error;
      }
    },
    async delete(orgId, id) {
      const result = await db
        .deleteFrom('email_servers')
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async listAll() {
      return (await db.selectFrom('email_servers').selectAll().orderBy('created_at').execute()).map(toEmailServer);
    },
    async replaceSecret(orgId, id, column, expected, next) {
      const name = SEALED_COLUMN_OF[column];
      // One conditional statement: atomic on SQLite; on PostgreSQL a concurrent writer's commit
      // makes the WHERE be re-checked against its row, so a newer secret is never overwritten.
      const result = await db
        .updateTable('email_servers')
        .set({ [name]: next })
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .where(name, '=', expected)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}

function nullableNumber(value: number | null): number | null {
  return value === null ? null : Number(value);
}
