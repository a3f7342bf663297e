import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildLogEvent } from '../../src/store/log-event-build.ts';
import { startTestApp } from '../helpers/app.ts';
import { waitFor } from './delivery-helpers.ts';

const DAY = 86_400_000;

const event = (uuid: string, published: number) =>
  buildLogEvent({
    uuid,
    published,
    eventType: 'mailroute.api_token.create',
    actor: { id: 'tok1', type: 'ApiToken' },
    requestId: 'req1',
    outcome: { result: 'SUCCESS' },
    targets: [{ id: 'tok9', type: 'ApiToken' }],
    debugData: {},
  });

test('the delivery worker’s retention round prunes System Log events older than MAILROUTE_LOG_RETENTION_DAYS', async () => {
  const t = await startTestApp({ MAILROUTE_LOG_RETENTION_DAYS: '2' });
  const worker = t.delivery.createWorker(t.app.log);
  try {
    const now = Date.now();
    await t.store.logEvents.append(t.orgId, event('ev-old', now - 3 * DAY));
    await t.store.logEvents.append(t.orgId, event('ev-kept', now - DAY));
    const ids = async () =>
      (await t.store.logEvents.list(t.orgId, { since: 0, limit: 100, order: 'ASCENDING' }))
        .map((e) => e.uuid)
        .filter((id) => id.startsWith('ev-'));
    assert.deepEqual(await ids(), ['ev-old', 'ev-kept']);
    worker.start();
    // The first round runs as the worker starts.
    await waitFor('the old event pruned', async () => !(await ids()).includes('ev-old'));
    assert.deepEqual(await ids(), ['ev-kept']);
  } finally {
    await worker.stop(2000);
    await t.close();
  }
});
