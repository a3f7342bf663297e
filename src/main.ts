import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { bootstrapDefaultOrg } from './domain/bootstrap.ts';
import { openRuntime } from './runtime.ts';
import { DataDirInUseError, lockDataDir } from './store/data-dir-lock.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  // One service per SQLite data directory (the CLI shares it without this lock).
  const lock = config.databaseUrl ? undefined : lockDataDir(config.dataDir);
  const runtime = await openRuntime(config);
  const app = await buildApp(runtime);

  if (runtime.generatedKeyFile) {
    app.log.warn(
      { keyFile: runtime.generatedKeyFile },
      'no MAILROUTE_ENCRYPTION_KEYS set: generated an encryption key in the data directory (mode 0600). Back it up; without it stored passwords cannot be decrypted.',
    );
  }
  let worker: ReturnType<typeof runtime.delivery.createWorker> | undefined;
  let hookDispatcher: ReturnType<typeof runtime.delivery.createHookDispatcher> | undefined;
  let healthProber: ReturnType<typeof runtime.delivery.createHealthProber> | undefined;

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    await app.close();
    // Finish in-flight sends (or give their leases back) before the store closes.
    await worker?.stop();
    await hookDispatcher?.stop();
    await healthProber?.stop();
    await runtime.close();
    lock?.release();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    if ((error as { code?: string }).code === 'EADDRINUSE')
      throw new StartError(`${config.host}:${config.port} is already in use; set PORT (or HOST) to a free one`);
    throw error;
  }

  // Only once listening: a token made by a start that then failed would never be shown.
  const bootstrap = await bootstrapDefaultOrg(runtime.services);
  if (bootstrap) {
    // With PORT=0 the OS picked the port: show the one really listening.
    const address = app.server.address();
    const baseUrl =
      config.port === 0 && typeof address === 'object' && address
        ? config.publicUrl.replace(/:0$/, `:${address.port}`)
        : config.publicUrl;
    // Printed once, straight to the terminal rather than the log: the token exists nowhere else.
    process.stdout.write(
      [
        '',
        'mailroute created the default org and an admin API token. It is shown only this once:',
        '',
        `  ${bootstrap.secret}`,
        '',
        'Try it:',
        `  curl -H 'Authorization: SSWS ${bootstrap.secret}' ${baseUrl}/api/v1/email-servers`,
        '',
        `API docs:   ${baseUrl}/docs`,
        `Admin page: ${baseUrl}/admin (sign in with the token above)`,
        '',
      ].join('\n'),
    );
  }

  // Delivery workers: claim due messages (including leases a killed process left behind).
  if (config.delivery.workers && !closing) {
    worker = runtime.delivery.createWorker(app.log.child({ component: 'delivery' }));
    worker.start();
    // Event hooks: the same switch, since both are background senders of this instance.
    hookDispatcher = runtime.delivery.createHookDispatcher(app.log.child({ component: 'event-hooks' }));
    hookDispatcher.start();
    healthProber = runtime.delivery.createHealthProber(app.log.child({ component: 'health' }));
    healthProber.start();
  }
}

/** A start-up failure whose message says all the operator needs. */
class StartError extends Error {}

main().catch((error) => {
  if (error instanceof ConfigError) {
    console.error(`mailroute: configuration error: ${error.message}`);
  } else if (error instanceof DataDirInUseError || error instanceof StartError) {
    console.error(`mailroute: cannot start: ${error.message}`);
  } else {
    console.error('mailroute: failed to start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
