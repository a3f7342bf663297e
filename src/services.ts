import { createMemoryReplayCache, type ReplayCache } from './auth/replay-cache.ts';
import type { Config } from './config.ts';
import { createDeliveryServices } from './delivery/delivery-services.ts';
import { createApiTokenService } from './domain/api-tokens.ts';
import { createAuditService } from './domain/audit.ts';
import { auditEmailServerTests } from './domain/audited-email-server-tests.ts';
import { createEmailServerTestService } from './domain/email-server-test.ts';
import { createEmailServerService } from './domain/email-servers.ts';
import { cryptoIds, type IdGenerator } from './domain/ids.ts';
import { createRateLimiter, type RateLimiter } from './http/rate-limiter.ts';
import type { SecretBox } from './secrets/secret-box.ts';
import { createOAuthTokenClient } from './smtp/oauth/token-client.ts';
import { createXOAuth2Strategies } from './smtp/oauth/xoauth2-strategy.ts';
import type { Store } from './store/store.ts';

export interface CoreDeps {
  config: Readonly<Config>;
  store: Store;
  secretBox: SecretBox;
  ids?: IdGenerator;
  now?: () => number;
  /** Shared (e.g. Redis) counters for several instances; default: in this process. */
  rateLimiter?: RateLimiter;
  /** Shared memory of used DPoP proof ids for several instances; default: in this process. */
  dpopReplayCache?: ReplayCache;
}

export type Services = ReturnType<typeof createServices>;

/** Builds the domain services from their narrowed dependencies. Shared by the server and the CLI. */
export function createServices({ config, store, secretBox, ids = cryptoIds, now = Date.now, ...shared }: CoreDeps) {
  const audit = createAuditService({ auditEvents: store.auditEvents, ids, now });
  // OAuth 2.0 sign-in (XOAUTH2) for /test and delivery alike: one token cache, so one fetch serves both.
  const smtpAuthStrategies = createXOAuth2Strategies(
    createOAuthTokenClient({ secretBox, settings: config.smtpOAuth, guard: config.smtp, now }),
  );
  return {
    config,
    store,
    secretBox,
    ids,
    now,
    audit,
    rateLimiter: shared.rateLimiter ?? createRateLimiter(config.rateLimits),
    dpopReplayCache: shared.dpopReplayCache ?? createMemoryReplayCache({ now }),
    apiTokens: createApiTokenService({
      apiTokens: store.apiTokens,
      ids,
      now,
      audit,
      lastUsedIntervalMs: config.tokenLastUsedIntervalSeconds * 1000,
    }),
    emailServers: createEmailServerService({
      emailServers: store.emailServers,
      secretBox,
      ids,
      now,
      maxServersPerOrg: config.maxServersPerOrg,
      audit,
    }),
    // Notification delivery: the API's use cases, metrics, and the worker factory main.ts starts.
    delivery: createDeliveryServices({ config, store, secretBox, ids, now, authStrategies: smtpAuthStrategies }),
    // The /test use case builds its transport exactly as delivery does (src/smtp/transport.ts).
    emailServerTests: auditEmailServerTests(
      createEmailServerTestService({
        emailServers: store.emailServers,
        transport: { secretBox, settings: config.smtp, authStrategies: smtpAuthStrategies },
        settings: config.smtp,
        now,
      }),
      audit,
    ),
  };
}
