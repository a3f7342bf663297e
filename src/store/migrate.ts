import { type Kysely, type Migration, Migrator } from 'kysely';
import * as foundation from './migrations/001-foundation.ts';
import * as authAudit from './migrations/003-auth-audit.ts';
import * as delivery from './migrations/004-delivery.ts';
import * as oauthSmtp from './migrations/005-oauth-smtp.ts';
import * as idempotencyRequestHash from './migrations/006-idempotency-request-hash.ts';
import * as orgSender from './migrations/007-org-sender.ts';
import * as attemptFailureScope from './migrations/008-attempt-failure-scope.ts';
import * as logEvents from './migrations/009-log-events.ts';
import * as deliveryRetention from './migrations/010-delivery-retention.ts';
import * as eventHooks from './migrations/011-event-hooks.ts';
import * as messageRequestId from './migrations/012-message-request-id.ts';
import * as logEventIndexes from './migrations/013-log-event-indexes.ts';
import * as messageDeadline from './migrations/014-message-deadline.ts';
import * as sendingLimits from './migrations/015-sending-limits.ts';
import * as serverHealth from './migrations/016-server-health.ts';
import * as orgAlertEmails from './migrations/017-org-alert-emails.ts';
import * as senderLeases from './migrations/018-sender-leases.ts';
import * as changeNotifications from './migrations/019-change-notifications.ts';

/** Migrations in order; add new ones at the end, never edit a released one. */
const MIGRATIONS: Record<string, Migration> = {
  '001-foundation': foundation,
  '003-auth-audit': authAudit,
  '004-delivery': delivery,
  '005-oauth-smtp': oauthSmtp,
  '006-idempotency-request-hash': idempotencyRequestHash,
  '007-org-sender': orgSender,
  '008-attempt-failure-scope': attemptFailureScope,
  '009-log-events': logEvents,
  '010-delivery-retention': deliveryRetention,
  '011-event-hooks': eventHooks,
  '012-message-request-id': messageRequestId,
  '013-log-event-indexes': logEventIndexes,
  '014-message-deadline': messageDeadline,
  '015-sending-limits': sendingLimits,
  '016-server-health': serverHealth,
  '017-org-alert-emails': orgAlertEmails,
  '018-sender-leases': senderLeases,
  '019-change-notifications': changeNotifications,
};

/** Runs pending migrations. Kysely takes a database lock first, so instances starting together don't race. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<void> {
  // Numbers are pre-assigned per feature and may land out of order (004 before 003): apply whichever is missing.
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed`, { cause: error });
  }
}
