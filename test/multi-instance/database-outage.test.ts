import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type ApiResponse, request } from '../helpers/app.ts';
import { type PostgresCluster, postgresSkipReason, startPostgresCluster } from '../helpers/postgres-cluster.ts';
import { type ServerProcess, startServerProcess, waitFor } from '../helpers/server-process.ts';
import { describeUnless } from '../helpers/skip.ts';

// PostgreSQL stopped under a running service, then started again: the service answers 503 with an
// Okta error body while the database is away and recovers by itself, without a restart.

const SERVERS = '/api/v1/email-servers';
const serverBody = (alias: string) => ({
  alias,
  host: '127.0.0.1',
  port: 2525,
  username: 'mailer',
  password: 'outage-secret',
});
const listOf = (body: ApiResponse['body']): { id: string; alias: string; enabled: boolean }[] =>
  body['email-servers'] ?? body;

function assertUnavailable(response: ApiResponse, what: string) {
  assert.equal(response.status, 503, `${what}: status`);
  assert.equal(response.body.errorCode, 'E0000010', `${what}: errorCode`);
  assert.equal(response.body.errorLink, 'E0000010');
  assert.match(response.body.errorId, /^oae[A-Za-z0-9_-]{22}$/);
  assert.deepEqual(response.body.errorCauses, []);
  assert.equal(typeof response.body.errorSummary, 'string');
}

// This test stops and starts its cluster, so it always runs its own rather than TEST_DATABASE_URL's.
describeUnless(postgresSkipReason(), 'PostgreSQL outage and recovery', () => {
  let cluster: PostgresCluster;
  let service: ServerProcess;
  let token: string;

  before(async () => {
    cluster = await startPostgresCluster();
    service = await startServerProcess({
      DATABASE_URL: await cluster.createDatabase(),
      MAILROUTE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    });
    token = await waitFor(() => service.bootstrapToken, 10_000, 'the bootstrap token');
  });

  after(async () => {
    await service?.stop();
    await cluster?.destroy();
  });

  test('503 while the database is stopped, correct answers once it is back, same process throughout', async () => {
    const kept = await service.api(SERVERS, token, { method: 'POST', body: serverBody('before outage') });
    assert.equal(kept.status, 201);
    const enabled = await service.api(`${SERVERS}/${kept.body.id}`, token, {
      method: 'PATCH',
      body: { enabled: true },
    });
    assert.equal(enabled.status, 200);
    const pid = service.process.pid;
    assert.equal((await request(`${service.url}/readyz`)).status, 200);

    await cluster.stop();

    assertUnavailable(await service.api(SERVERS, token), 'list');
    assertUnavailable(await service.api(`${SERVERS}/${kept.body.id}`, token), 'get');
    assertUnavailable(
      await service.api(SERVERS, token, { method: 'POST', body: serverBody('during outage') }),
      'create',
    );
    assertUnavailable(
      await service.api(`${SERVERS}/${kept.body.id}`, token, { method: 'PATCH', body: { alias: 'during outage' } }),
      'update',
    );
    assertUnavailable(await service.api(`${SERVERS}/${kept.body.id}`, token, { method: 'DELETE' }), 'delete');
    const notReady = await request(`${service.url}/readyz`);
    assert.equal(notReady.status, 503);
    assert.equal((await request(`${service.url}/healthz`)).status, 200, 'liveness does not depend on the database');
    assert.equal(service.process.exitCode, null, 'the service is still running');

    await cluster.start();

    // The pool reconnects on demand; readiness returns without any action on the service.
    let ready = 0;
    for (let attempt = 0; attempt < 100 && ready !== 200; attempt++) {
      ready = (await request(`${service.url}/readyz`)).status;
      if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(ready, 200, '/readyz recovers');

    const listed = await service.api(SERVERS, token);
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listOf(listed.body).map(({ id, alias, enabled }) => ({ id, alias, enabled })),
      [{ id: kept.body.id, alias: 'before outage', enabled: true }],
      'what was written before is intact; nothing refused during the outage was written',
    );
    const created = await service.api(SERVERS, token, { method: 'POST', body: serverBody('after outage') });
    assert.equal(created.status, 201);
    assert.equal((await service.api(`${SERVERS}/${created.body.id}`, token)).status, 200);
    assert.equal(service.process.pid, pid);
    assert.equal(service.process.exitCode, null, 'no restart');
  });
});
