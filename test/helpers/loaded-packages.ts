// Run as its own process (test/lazy-packages.test.ts): builds the service as main.ts does from the
// environment, serves a few requests, and prints the npm packages the process has loaded.
import { createRequire } from 'node:module';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { bootstrapDefaultOrg } from '../../src/domain/bootstrap.ts';
import { openRuntime } from '../../src/runtime.ts';

const runtime = await openRuntime(loadConfig());
const app = await buildApp(runtime);
const bootstrap = await bootstrapDefaultOrg(runtime.services);
const headers = { authorization: `SSWS ${bootstrap?.secret}` };
for (const url of ['/healthz', '/api/v1/email-servers', '/openapi.json']) {
  const response = await app.inject({ url, headers });
  if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}`);
}
await app.close();
await runtime.close();

// CommonJS packages land in the require cache even when imported from an ES module.
const packages = new Set(
  Object.keys(createRequire(import.meta.url).cache).flatMap((file) => {
    const match = /.*node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(file);
    return match ? [match[1].replace('\\', '/')] : [];
  }),
);
process.stdout.write(`\nloaded packages: ${JSON.stringify([...packages].sort())}\n`);
