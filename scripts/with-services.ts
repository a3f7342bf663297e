/**
 * Runs a command with a throwaway PostgreSQL cluster (and redis-server, when installed) on
 * 127.0.0.1, then stops them:  node --import tsx scripts/with-services.ts npm test
 * The command sees TEST_DATABASE_URL, TEST_DATABASE_DATA_DIR (and TEST_REDIS_URL). Install the servers first with
 * scripts/install-services.sh (Debian/Ubuntu, as root) or your package manager.
 */
import { spawn } from 'node:child_process';
import { type PostgresCluster, postgresSkipReason, startPostgresCluster } from '../test/helpers/postgres-cluster.ts';
import { type RedisServer, redisSkipReason, startRedisServer } from '../test/helpers/redis-server.ts';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node --import tsx scripts/with-services.ts <command> [args...]');
  process.exit(2);
}
const missingPostgres = postgresSkipReason();
if (missingPostgres) {
  console.error(`with-services: ${missingPostgres}`);
  process.exit(1);
}

let postgres: PostgresCluster | undefined;
let redis: RedisServer | undefined;
async function stopServices() {
  await redis?.stop().catch((error) => console.error('with-services: stopping redis-server failed:', error));
  await postgres?.destroy().catch((error) => console.error('with-services: stopping PostgreSQL failed:', error));
  redis = undefined;
  postgres = undefined;
}

try {
  postgres = await startPostgresCluster();
  console.error(`with-services: PostgreSQL on 127.0.0.1:${postgres.port} (data in ${postgres.dataDir})`);
  if (!redisSkipReason()) {
    redis = await startRedisServer();
    console.error(`with-services: redis-server on 127.0.0.1:${redis.port}`);
  } else {
    console.error(`with-services: ${redisSkipReason()}: Redis-backed tests will be skipped`);
  }
} catch (error) {
  console.error('with-services: could not start the services:', error);
  await stopServices();
  process.exit(1);
}

const child = spawn(command, args, {
  stdio: 'inherit',
  env: {
    ...process.env,
    TEST_DATABASE_URL: postgres.url(),
    // For tests that inspect what reaches the disk (run CHECKPOINT first).
    TEST_DATABASE_DATA_DIR: postgres.dataDir,
    ...(redis ? { TEST_REDIS_URL: redis.url } : {}),
  },
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
const exitCode: number = await new Promise((resolve) =>
  child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))),
);
await stopServices();
process.exit(exitCode);
