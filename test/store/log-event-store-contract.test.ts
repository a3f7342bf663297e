import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildLogEvent, type LogEventInput } from '../../src/store/log-event-build.ts';
import type { LogEventQuery, LogFilter } from '../../src/store/log-event-store.ts';
import type { Store } from '../../src/store/store.ts';
import { describeUnless } from '../helpers/skip.ts';
import { STORE_ADAPTERS } from '../helpers/store-adapters.ts';

// The System Log part of the store contract, on every adapter.

const event = (uuid: string, published: number, overrides: Partial<LogEventInput> = {}) =>
  buildLogEvent({
    uuid,
    published,
    eventType: 'system.custom_email_server.lifecycle.update',
    actor: { id: 'tok1', type: 'ApiToken' },
    requestId: 'req1',
    outcome: { result: 'SUCCESS' },
    targets: [{ id: 'ces1', type: 'EmailServer' }],
    debugData: { custom_email_server_id: 'ces1', custom_email_server_port: '587', changed_settings: 'alias,port' },
    ...overrides,
  });

const EVENTS = [
  event('ev-2', 200),
  event('ev-1', 200, {
    eventType: 'system.email.delivery',
    outcome: { result: 'FAILURE', reason: 'bounce' },
    actor: { id: 'mailroute', type: 'System' },
    requestId: null,
    targets: [
      { id: 'ann@example.com', type: 'email' },
      { id: 'ces2', type: 'EmailServer' },
    ],
    debugData: { byo_email_server_error_response: '550 No "such" user', message_id: 'msg1' },
  }),
  event('ev-0', 100, {
    eventType: 'mailroute.api_token.create',
    targets: [{ id: 'tok9', type: 'ApiToken' }],
    debugData: {},
  }),
];

for (const adapter of STORE_ADAPTERS) {
  describeUnless(adapter.skip, `store contract (log events): ${adapter.name}`, () => {
    let store: Store;
    before(async () => {
      store = await adapter.open();
      for (const id of ['org-a', 'org-b']) await store.orgs.create({ id, name: id, createdAt: 1 });
      for (const e of EVENTS) await store.logEvents.append('org-a', e);
      await store.logEvents.append('org-b', event('ev-b', 150));
    });
    after(async () => {
      await store?.close();
    });

    const ids = async (query: Partial<LogEventQuery>) =>
      (await store.logEvents.list('org-a', { limit: 10, order: 'ASCENDING', ...query })).map((e) => e.uuid);

    test('append then list round-trips the whole event, per org, by time then id', async () => {
      assert.deepEqual(await store.logEvents.list('org-a', { limit: 10, order: 'ASCENDING' }), [
        EVENTS[2],
        EVENTS[1],
        EVENTS[0],
      ]);
      assert.deepEqual(await ids({ order: 'DESCENDING' }), ['ev-2', 'ev-1', 'ev-0']);
      assert.deepEqual(
        (await store.logEvents.list('org-b', { limit: 10, order: 'ASCENDING' })).map((e) => e.uuid),
        ['ev-b'],
      );
    });

    test('since (inclusive), until (exclusive), keyset cursor in either order, and limit', async () => {
      assert.deepEqual(await ids({ since: 200 }), ['ev-1', 'ev-2']);
      assert.deepEqual(await ids({ until: 200 }), ['ev-0']);
      assert.deepEqual(await ids({ after: { at: 200, id: 'ev-1' } }), ['ev-2']);
      assert.deepEqual(await ids({ after: { at: 100, id: 'ev-0' }, limit: 1 }), ['ev-1']);
      assert.deepEqual(await ids({ after: { at: 200, id: 'ev-2' }, order: 'DESCENDING' }), ['ev-1', 'ev-0']);
    });

    test('filters on columns, targets and debug data; keywords all must match', async () => {
      const cases: Array<[LogFilter, string[]]> = [
        [{ op: 'eq', attribute: 'eventType', value: 'system.email.delivery' }, ['ev-1']],
        [{ op: 'sw', attribute: 'eventType', value: 'system.' }, ['ev-1', 'ev-2']],
        [{ op: 'ew', attribute: 'eventType', value: '.create' }, ['ev-0']],
        [{ op: 'co', attribute: 'eventType', value: 'api_token' }, ['ev-0']],
        [{ op: 'ne', attribute: 'outcome.result', value: 'SUCCESS' }, ['ev-1']],
        [{ op: 'eq', attribute: 'outcome.reason', value: 'bounce' }, ['ev-1']],
        [{ op: 'pr', attribute: 'outcome.reason' }, ['ev-1']],
        [{ op: 'not', filter: { op: 'pr', attribute: 'outcome.reason' } }, ['ev-0', 'ev-2']],
        [{ op: 'eq', attribute: 'actor.id', value: 'mailroute' }, ['ev-1']],
        [{ op: 'eq', attribute: 'severity', value: 'WARN' }, ['ev-1']],
        [{ op: 'gt', attribute: 'published', value: 100 }, ['ev-1', 'ev-2']],
        [{ op: 'le', attribute: 'published', value: 100 }, ['ev-0']],
        [{ op: 'eq', attribute: 'target.id', value: 'ces2' }, ['ev-1']],
        [{ op: 'eq', attribute: 'target.type', value: 'ApiToken' }, ['ev-0']],
        [{ op: 'eq', attribute: 'transaction.id', value: 'req1' }, ['ev-0', 'ev-2']],
        [{ op: 'eq', attribute: 'debugData.custom_email_server_port', value: '587' }, ['ev-2']],
        [{ op: 'co', attribute: 'debugData.byo_email_server_error_response', value: '"such"' }, ['ev-1']],
        [{ op: 'pr', attribute: 'debugData.changed_settings' }, ['ev-2']],
        [{ op: 'eq', attribute: 'displayMessage', value: 'Email delivery' }, ['ev-1']],
        [
          {
            op: 'or',
            filters: [
              { op: 'eq', attribute: 'target.id', value: 'tok9' },
              {
                op: 'and',
                filters: [
                  { op: 'sw', attribute: 'eventType', value: 'system' },
                  { op: 'eq', attribute: 'outcome.result', value: 'SUCCESS' },
                ],
              },
            ],
          },
          ['ev-0', 'ev-2'],
        ],
      ];
      for (const [filter, expected] of cases) assert.deepEqual(await ids({ filter }), expected, JSON.stringify(filter));
      assert.deepEqual(await ids({ keywords: ['DELIVERY', 'bounce'] }), ['ev-1']);
      assert.deepEqual(await ids({ keywords: ['delivery', 'ces1'] }), []);
    });
  });
}
