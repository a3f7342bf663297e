import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { bootstrapDefaultOrg } from '../../src/domain/bootstrap.ts';
import { composeRuntime } from '../../src/runtime.ts';
import { parseKeyring } from '../../src/secrets/keyring.ts';
import { SecretBox } from '../../src/secrets/secret-box.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { request } from '../helpers/app.ts';
import { assertOktaError } from '../helpers/okta-error.ts';

/** A real store that counts the outbox reads /metrics makes; passed into the runtime like any store. */
function countingOutboxReads(store: Store, counts: { countByStatus: number; queueStats: number }): Store {
  const outbox = store.outbox;
  return {
    ...store,
    outbox: {
      ...outbox,
      countByStatus: () => {
        counts.countByStatus++;
        return outbox.countByStatus();
      },
      queueStats: (now) => {
        counts.queueStats++;
        return outbox.queueStats(now);
      },
    },
  };
}

describe('/metrics: protected, and one database pass per scrape interval', () => {
  let app: FastifyInstance;
  let store: Store;
  let url: string;
  let token: string;
  let dataDir: string;
  const counts = { countByStatus: 0, queueStats: 0 };

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroute-metrics-'));
    const config = loadConfig({
      MAILROUTE_DATA_DIR: dataDir,
      PORT: '0',
      MAILROUTE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      MAILROUTE_METRICS_CACHE_MS: '60000',
    });
    store = await openStore(config);
    // A held clock: "within the interval" does not depend on how fast this machine is.
    const at = Date.now();
    const runtime = composeRuntime({
      config,
      store: countingOutboxReads(store, counts),
      secretBox: new SecretBox(parseKeyring(config.encryptionKeys!, 'test')),
      now: () => at,
    });
    app = await buildApp({ ...runtime, logger: pino({ level: 'silent' }) });
    token = (await bootstrapDefaultOrg(runtime.services))!.secret;
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  after(async () => {
    await app.close();
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('anonymous → refused in Okta’s envelope (no header: 403 E0000005; a bad token: 401 E0000011), without reading the outbox', async () => {
    const anonymous = await request(`${url}/metrics`);
    assertOktaError(anonymous, { status: 403, errorCode: 'E0000005', errorSummary: 'Invalid session', causes: [] });
    const forged = await request(`${url}/metrics`, { headers: { authorization: `SSWS 00${'x'.repeat(40)}` } });
    assertOktaError(forged, { status: 401, errorCode: 'E0000011' });
    for (const res of [anonymous, forged]) assert.doesNotMatch(res.text, /mailroute_notifications/);
    assert.deepEqual(counts, { countByStatus: 0, queueStats: 0 });
  });

  it('two scrapes within the interval → one read of the outbox, the same figures', async () => {
    const scrape = () => request(`${url}/metrics`, { headers: { authorization: `SSWS ${token}` } });
    const [first, second] = [await scrape(), await scrape()];
    assert.equal(first.status, 200, first.text);
    assert.equal(second.status, 200, second.text);
    assert.match(first.text, /^mailroute_notifications\{status="queued"\} 0$/m);
    assert.match(second.text, /^mailroute_notification_queue_due 0$/m);
    assert.deepEqual(counts, { countByStatus: 1, queueStats: 1 });
  });
});
