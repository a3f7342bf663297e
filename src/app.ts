import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type HTTPMethods, LogController } from 'fastify';
import { createAccessTokenVerifier } from './auth/access-tokens.ts';
import { createDpopVerifier } from './auth/dpop.ts';
import { createOrgResolver } from './auth/org-resolver.ts';
import { createMemoryReplayCache } from './auth/replay-cache.ts';
import type { Config } from './config.ts';
import { DEFAULT_ORG_NAME } from './domain/bootstrap.ts';
import { createSignInFailureRecorder, SIGN_IN_FAILURE_RECORDING } from './domain/sign-in-failures.ts';
import { ApiError } from './http/api-error.ts';
import { type AuthDeps, createAuthHook } from './http/auth.ts';
import { installErrorHandling } from './http/error-handler.ts';
import { frameworkErrorHandlers, MAX_PARAM_LENGTH } from './http/framework-errors.ts';
import { createServiceLogger, lazyChildLogger, requestCompletedLogger } from './http/logging.ts';
import { registerOpenApi } from './http/openapi.ts';
import { createRateLimiter } from './http/rate-limiter.ts';
import { adminRoutes } from './http/routes/admin.ts';
import { auditEventRoutes } from './http/routes/audit-events.ts';
import { emailServerCheckRoutes } from './http/routes/email-server-check.ts';
import { emailServerTestRoutes } from './http/routes/email-server-test.ts';
import { emailServerRoutes } from './http/routes/email-servers.ts';
import { eventHookRoutes } from './http/routes/event-hooks.ts';
import { healthRoutes } from './http/routes/health.ts';
import { metricsRoutes } from './http/routes/metrics.ts';
import { notificationRoutes } from './http/routes/notifications.ts';
import { orgRoutes } from './http/routes/org.ts';
import { serverHealthRoutes } from './http/routes/server-health.ts';
import { systemLogRoutes } from './http/routes/system-log.ts';
import { createValidatorCompiler } from './http/validation.ts';
import type { Runtime } from './runtime.ts';

/** What the app is built from: a runtime (or the parts of one it uses), and optionally a logger. */
export interface AppOptions extends Pick<Runtime, 'config' | 'services' | 'ids' | 'now' | 'sharedState'> {
  /** Readiness pings it. */
  store: Pick<Runtime['store'], 'ping' | 'kind' | 'requestArrived'>;
  delivery: Pick<Runtime['delivery'], 'metrics'>;
  /** Readiness reports the encryption keys stored data names and this instance lacks. */
  secretBox: Pick<Runtime['secretBox'], 'missingKeyIds' | 'onMissingKey'>;
  /** A pino logger; tests pass one writing to memory. Defaults to JSON logs on stdout. */
  logger?: FastifyBaseLogger;
}

const ALL_METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'];

/** Builds the HTTP application; never listens (main.ts does, tests inject or listen on port 0). */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, services, ids, logger } = options;
  const log = logger ?? createServiceLogger(config.logLevel);
  const logCompleted = requestCompletedLogger(log);
  const app = Fastify({
    loggerInstance: log,
    childLoggerFactory: lazyChildLogger,
    genReqId: () => ids.requestId(),
    requestIdHeader: false,
    bodyLimit: config.bodyLimitBytes,
    ...httpServerOptions(config.http),
    // The Node SDK sends `//api/v1/...` when its org URL ends in `/`.
    routerOptions: { ignoreDuplicateSlashes: true, ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    ...frameworkErrorHandlers(ids, logCompleted),
    return503OnClosing: true,
    // One line per request (written in onResponse below) rather than fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Past the cap Node closes new connections unanswered, before they cost a parser or a file handle more.
  app.server.maxConnections = config.http.maxConnections;
  app.setValidatorCompiler(createValidatorCompiler());
  installErrorHandling(app, ids);

  // Every body is parsed as JSON whatever its content type: Okta's API speaks nothing else.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    parseJson(request, body as string, (error, value) => done(error ? new ApiError('malformed_body') : null, value));
  });

  // Callback hooks rather than async ones: those cost a promise and a microtask on every request.
  app.addHook('onRequest', (request, reply, done) => {
    options.store.requestArrived();
    reply.header('X-Okta-Request-Id', request.id);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    logCompleted(request, reply);
    done();
  });

  const guard = createAuthHook(authDepsOf(options));
  // Collect each path's methods so other methods can answer 405 rather than 404.
  const methodsByPath = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    // Only routes with scopes run the auth hook; public ones (health, docs) do not pay for it.
    if (route.config?.scopes) route.onRequest = [...[route.onRequest ?? []].flat(), guard];
    if (!route.url.startsWith('/api/')) return;
    const methods = methodsByPath.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    methodsByPath.set(route.url, methods);
  });

  await registerOpenApi(app, config.publicUrl);
  await app.register(healthRoutes, { store: options.store, secretBox: options.secretBox });
  await app.register(adminRoutes, { adminOAuth: config.adminOAuth });
  await app.register(emailServerRoutes, { emailServers: services.emailServers, responseShape: config.responseShape });
  await app.register(emailServerTestRoutes, { emailServerTests: services.emailServerTests });
  await app.register(emailServerCheckRoutes, { emailServerChecks: services.emailServerChecks });
  await app.register(auditEventRoutes, { audit: services.audit });
  await app.register(systemLogRoutes, { audit: services.audit, now: options.now });
  await app.register(notificationRoutes, { notifications: services.notifications });
  await app.register(orgRoutes, { orgs: services.orgs, orgSender: services.orgSender, orgAlerts: services.orgAlerts });
  await app.register(metricsRoutes, { metrics: options.delivery.metrics });
  await app.register(serverHealthRoutes, { serverHealth: services.serverHealth });
  await app.register(eventHookRoutes, { eventHooks: services.eventHooks, publicUrl: config.publicUrl });

  for (const [url, methods] of [...methodsByPath]) {
    // fastify answers HEAD wherever there is a GET.
    const others = ALL_METHODS.filter((method) => !methods.has(method) && !(method === 'HEAD' && methods.has('GET')));
    if (others.length === 0) continue;
    const allow = ALL_METHODS.filter((method) => !others.includes(method)).join(', ');
    app.route({
      method: others,
      url,
      schema: { hide: true },
      handler: async () => {
        throw new ApiError('method_not_allowed', { headers: { Allow: allow } });
      },
    });
  }
  return app;
}

/**
 * Slow clients (half-sent headers, trickled bodies, idle keep-alives) are cut off, so a few thousand
 * of them cannot hold every connection. Node answers an overdue request 408 through the client error
 * handler; it looks for overdue requests every `connectionsCheckingInterval`.
 */
function httpServerOptions(http: Config['http']) {
  return {
    requestTimeout: http.requestTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    trustProxy: http.trustProxy.length > 0 ? http.trustProxy : false,
    http: {
      headersTimeout: http.headersTimeoutMs,
      requestTimeout: http.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(http.headersTimeoutMs / 4))),
    },
  };
}

/**
 * The auth hook's parts. Rate-limit counters and used DPoP proof ids live in the shared state when
 * there is one (several instances), otherwise in this process.
 */
function authDepsOf({ config, services, now, sharedState }: AppOptions): AuthDeps {
  const { oauth, publicUrl } = config;
  const orgs = createOrgResolver(services.orgs);
  const { perAddressPerMinute, perMinute } = SIGN_IN_FAILURE_RECORDING;
  const recording = createRateLimiter(
    { windowSeconds: 60, buckets: { 'sign-in-failure-address': perAddressPerMinute, 'sign-in-failure': perMinute } },
    sharedState?.rateLimitBackend,
  );
  return {
    signInFailures: createSignInFailureRecorder({
      audit: services.audit,
      operatorOrgId: () => orgs.resolve(DEFAULT_ORG_NAME),
      mayRecord: async (address) =>
        (await recording.consume('sign-in-failure-address', address)).allowed &&
        (await recording.consume('sign-in-failure', 'all')).allowed,
    }),
    apiTokens: services.apiTokens,
    accessTokens: createAccessTokenVerifier(oauth),
    dpop: createDpopVerifier({
      algorithms: oauth.algorithms,
      maxAgeSeconds: oauth.dpopProofMaxAgeSeconds,
      clockSkewSeconds: oauth.clockSkewSeconds,
      replayCache: sharedState?.dpopReplayCache ?? createMemoryReplayCache({ now }),
      now,
    }),
    orgs,
    rateLimiter: createRateLimiter(config.rateLimits, sharedState?.rateLimitBackend),
    publicUrl,
  };
}
