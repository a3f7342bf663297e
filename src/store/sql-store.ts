import { type Kysely, sql } from 'kysely';
import { apiTokenStore } from './sql-api-token-store.ts';
import type { SqlDialect } from './sql-dialect.ts';
import { emailServerStore } from './sql-email-server-store.ts';
import { eventHookStore } from './sql-event-hook-store.ts';
import { createGroupCommit } from './sql-group-commit.ts';
import { hookDeliveryStore } from './sql-hook-deliveries.ts';
import { integrityProblems, sealedKeyIds } from './sql-integrity.ts';
import { logEventStore } from './sql-log-event-store.ts';
import { orgStore } from './sql-org-store.ts';
import { outboxStore } from './sql-outbox-store.ts';
import { senderLeaseStore, sendingBudgetStore } from './sql-sending-budgets.ts';
import { serverHealthStore } from './sql-server-health-store.ts';
import type { Store } from './store.ts';
import type { Database } from './tables.ts';

/**
 * The store over Kysely. SQLite and PostgreSQL share this code; they differ only in how the
 * connection is made and in the few places `dialect` is consulted.
 */
export function createSqlStore(db: Kysely<Database>, dialect: SqlDialect, close: () => Promise<void>): Store {
  // One queue for the writes that may share a commit: a submission's message and audit events.
  const groupCommit = createGroupCommit(db);
  return {
    kind: dialect,
    orgs: orgStore(db, dialect),
    apiTokens: apiTokenStore(db),
    emailServers: emailServerStore(db, dialect),
    outbox: outboxStore(db, dialect, groupCommit),
    logEvents: logEventStore(db, dialect, groupCommit),
    eventHooks: eventHookStore(db),
    hookDeliveries: hookDeliveryStore(db, dialect),
    serverHealth: serverHealthStore(db),
    sendingBudgets: sendingBudgetStore(db, dialect),
    senderLeases: senderLeaseStore(db),
    async ping() {
      await sql`select 1`.execute(db);
    },
    // Uncached reads see every commit anyway.
    requestArrived: () => {},
    sealedKeyIds: () => sealedKeyIds(db, dialect),
    integrityProblems: () => integrityProblems(db, dialect),
    close,
  };
}
