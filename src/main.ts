import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { bootstrapDefaultOrg } from './domain/bootstrap.ts';
import { openRuntime } from './runtime.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const runtime = await openRuntime(config);
  const app = await buildApp(runtime);

  if (runtime.generatedKeyFile) {
    app.log.warn(
      { keyFile: runtime.generatedKeyFile },
      'no MAILROUTE_ENCRYPTION_KEYS set: generated an encryption key in the data directory (mode 0600). Back it up; without it stored passwords cannot be decrypted.',
    );
  }
  const bootstrap = await bootstrapDefaultOrg(runtime.services);

  // Delivery workers: claim due messages (including leases a killed process left behind).
  const worker = config.delivery.workers
    ? runtime.delivery.createWorker(app.log.child({ component: 'delivery' }))
    : undefined;
  worker?.start();

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    await app.close();
    // Finish in-flight sends (or give their leases back) before the store closes.
    await worker?.stop();
    await runtime.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ host: config.host, port: config.port });
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
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    console.error(`mailroute: configuration error: ${error.message}`);
  } else {
    console.error('mailroute: failed to start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
