import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Kysely, type Migration, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import * as foundation from '../../src/store/migrations/001-foundation.ts';
import * as authAudit from '../../src/store/migrations/003-auth-audit.ts';
import * as delivery from '../../src/store/migrations/004-delivery.ts';
import { openPostgresStore } from '../../src/store/postgres.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { SqliteFileDialect } from '../../src/store/sqlite-driver.ts';
import type { Store } from '../../src/store/store.ts';
import type { Database } from '../../src/store/tables.ts';
import { createDatabase } from '../helpers/postgres-cluster.ts';

/** An older release's database on one engine, and the current store opened over it. */
interface Engine {
  name: string;
  skip?: string;
  setUp(): Promise<{ db: Kysely<Database>; open(): Promise<Store>; cleanUp(): void }>;
}

const ENGINES: Engine[] = [
  {
    name: 'SQLite',
    async setUp() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroute-009-'));
      const file = path.join(dir, 'store.db');
      return {
        db: new Kysely<Database>({ dialect: new SqliteFileDialect(file) }),
        open: () => openSqliteStore(file),
        cleanUp: () => fs.rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'PostgreSQL',
    skip: process.env.TEST_DATABASE_URL
      ? undefined
      : 'TEST_DATABASE_URL is not set, so the PostgreSQL copy is not tested in this run (`npm run test:all` runs both)',
    async setUp() {
      const url = await createDatabase(process.env.TEST_DATABASE_URL!);
      return {
        db: new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }) }),
        open: () => openPostgresStore(url),
        cleanUp: () => {},
      };
    },
  },
];

for (const engine of ENGINES) {
  test(
    `migration 009 copies the audit and delivery events recorded before it into the System Log (${engine.name})`,
    {
      skip: engine.skip,
    },
    () => copiesOlderEvents(engine),
  );
}

async function copiesOlderEvents(engine: Engine): Promise<void> {
  const { db, open, cleanUp } = await engine.setUp();
  try {
    // A database as an older release left it: audit events, no System Log.
    const older: Record<string, Migration> = {
      '001-foundation': foundation,
      '003-auth-audit': authAudit,
      '004-delivery': delivery,
    };
    const { error } = await new Migrator({ db, provider: { getMigrations: async () => older } }).migrateToLatest();
    assert.equal(error, undefined);
    await db.insertInto('orgs').values({ id: 'org-a', name: 'a', created_at: 1 }).execute();
    await db
      .insertInto('audit_events')
      .values([
        {
          id: 'aev1',
          org_id: 'org-a',
          occurred_at: Date.parse('2026-01-02T03:04:05.000Z'),
          event_type: 'email_server.update',
          actor_id: 'tok1',
          actor_type: 'ApiToken',
          target_id: 'ces1',
          target_type: 'EmailServer',
          outcome: 'SUCCESS',
          reason: null,
          changed_fields: '["alias","port"]',
          request_id: 'req1',
        },
        {
          id: 'aev2',
          org_id: 'org-a',
          occurred_at: Date.parse('2026-01-02T03:04:06.000Z'),
          event_type: 'api_token.revoke',
          actor_id: 'mailroute',
          actor_type: 'System',
          target_id: 'tok9',
          target_type: 'ApiToken',
          outcome: 'SUCCESS',
          reason: null,
          changed_fields: null,
          request_id: null,
        },
      ])
      .execute();
    await db
      .insertInto('delivery_events')
      .values({
        id: 'dev1',
        org_id: 'org-a',
        message_id: 'msg1',
        published: Date.parse('2026-01-02T03:04:07.000Z'),
        result: 'FAILURE',
        reason: '550 No such user',
        server: 'custom:ces1',
        recipient: 'ann@example.com',
      })
      .execute();
    await db.destroy();

    const store = await open();
    try {
      const events = await store.logEvents.list('org-a', { limit: 10, order: 'ASCENDING' });
      assert.deepEqual(
        events.map((e) => [e.uuid, e.published, e.eventType, e.actor.id, e.target[0].id, e.transaction.id]),
        [
          ['aev1', '2026-01-02T03:04:05.000Z', 'system.custom_email_server.lifecycle.update', 'tok1', 'ces1', 'req1'],
          ['aev2', '2026-01-02T03:04:06.000Z', 'mailroute.api_token.revoke', 'mailroute', 'tok9', null],
          ['dev1', '2026-01-02T03:04:07.000Z', 'system.email.delivery', 'mailroute', 'ann@example.com', null],
        ],
      );
      assert.deepEqual(events[0].debugContext.debugData, {
        custom_email_server_id: 'ces1',
        changed_settings: 'alias,port',
      });
      const byTarget = await store.logEvents.list('org-a', {
        limit: 10,
        order: 'ASCENDING',
        filter: { op: 'eq', attribute: 'target.id', value: 'tok9' },
      });
      assert.deepEqual(
        byTarget.map((e) => e.uuid),
        ['aev2'],
      );
      // The delivery-events view reads the copy as it read the old row.
      assert.deepEqual(await store.outbox.listEvents('org-a', { messageId: 'msg1' }, 10), [
        {
          id: 'dev1',
          orgId: 'org-a',
          messageId: 'msg1',
          published: Date.parse('2026-01-02T03:04:07.000Z'),
          result: 'FAILURE',
          reason: '550 No such user',
          server: 'custom:ces1',
          recipient: 'ann@example.com',
        },
      ]);
    } finally {
      await store.close();
    }
  } finally {
    cleanUp();
  }
}
