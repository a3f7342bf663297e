import type { Kysely, Selectable } from 'kysely';
import type { EventHookStatus, EventHookVerificationStatus } from '../schemas/event-hook.ts';
import type { EventHookChanges, EventHookRecord, EventHookStore } from './event-hook-store.ts';
import type { EventHookTable } from './event-hook-tables.ts';
import type { Database } from './tables.ts';

function toRecord(row: Selectable<EventHookTable>): EventHookRecord {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    description: row.description,
    status: row.status as EventHookStatus,
    verificationStatus: row.verification_status as EventHookVerificationStatus,
    eventTypes: JSON.parse(row.event_types) as string[],
    uri: row.uri,
    headers: JSON.parse(row.headers) as EventHookRecord['headers'],
    authKey: row.auth_key,
    authValueSealed: row.auth_value_sealed,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function toColumns(changes: EventHookChanges): Partial<EventHookTable> {
  const columns: Partial<EventHookTable> = {};
  if (changes.name !== undefined) columns.name = changes.name;
  if (changes.description !== undefined) columns.description = changes.description;
  if (changes.status !== undefined) columns.status = changes.status;
  if (changes.verificationStatus !== undefined) columns.verification_status = changes.verificationStatus;
  if (changes.eventTypes !== undefined) columns.event_types = JSON.stringify(changes.eventTypes);
  if (changes.uri !== undefined) columns.uri = changes.uri;
  if (changes.headers !== undefined) columns.headers = JSON.stringify(changes.headers);
  if (changes.authKey !== undefined) columns.auth_key = changes.authKey;
  if (changes.authValueSealed !== undefined) columns.auth_value_sealed = changes.authValueSealed;
  if (changes.updatedAt !== undefined) columns.updated_at = changes.updatedAt;
  return columns;
}

export function eventHookStore(db: Kysely<Database>): EventHookStore {
  const byOrg = (orgId: string) => db.selectFrom('event_hooks').selectAll().where('org_id', '=', orgId);
  return {
    async list(orgId) {
      return (await byOrg(orgId).orderBy('created_at').orderBy('id').execute()).map(toRecord);
    },
    async get(orgId, id) {
      const row = await byOrg(orgId).where('id', '=', id).executeTakeFirst();
      return row && toRecord(row);
    },
    async create(record) {
      await db
        .insertInto('event_hooks')
        .values({
          id: record.id,
          org_id: record.orgId,
          name: record.name,
          description: record.description,
          status: record.status,
          verification_status: record.verificationStatus,
          event_types: JSON.stringify(record.eventTypes),
          uri: record.uri,
          headers: JSON.stringify(record.headers),
          auth_key: record.authKey,
          auth_value_sealed: record.authValueSealed,
          created_at: record.createdAt,
          updated_at: record.updatedAt,
        })
        .execute();
    },
    async update(orgId, id, changes) {
      const columns = toColumns(changes);
      if (Object.keys(columns).length > 0) {
        await db.updateTable('event_hooks').set(columns).where('org_id', '=', orgId).where('id', '=', id).execute();
      }
      return this.get(orgId, id);
    },
    async listAll() {
      return (await db.selectFrom('event_hooks').selectAll().orderBy('id').execute()).map(toRecord);
    },
    async replaceSecret(orgId, id, expected, next) {
      const result = await db
        .updateTable('event_hooks')
        .set({ auth_value_sealed: next })
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .where('auth_value_sealed', '=', expected)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async deleteInactive(orgId, id) {
      // One statement, so a concurrent activate cannot slip between the check and the delete.
      const result = await db
        .deleteFrom('event_hooks')
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .where('status', '=', 'INACTIVE')
        .executeTakeFirst();
      if (Number(result.numDeletedRows) > 0) return 'deleted';
      return (await this.get(orgId, id)) ? 'active' : 'missing';
    },
  };
}
