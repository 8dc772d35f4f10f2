import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { FastifySSEPlugin } from 'fastify-sse-v2';
import { VIEWER } from '../auth/caller.js';
import { GuestTokens } from '../auth/guest-tokens.js';
import { Identity } from '../auth/identity.js';
import { createJwtVerifier } from '../auth/jwt-verifier.js';
import type { Backend } from '../backends/backend.js';
import { createBackend } from '../backends/create-backend.js';
import { type Config, defaultConfig } from '../config.js';
import { TopicHub } from '../hub/topic-hub.js';
import { encodeNotice, isUserTopic, userTopic } from '../hub/user-topic.js';
import { scheduleIdOfTopic, scheduleTopic } from '../seats/seat-events.js';
import { SeatHoldService } from '../seats/seat-hold-service.js';
import { Authenticator, declareAuthSlots } from './authenticate.js';
import type { AppContext } from './context.js';
import { answerOtherMethods, installErrorHandler, trackMethods } from './errors.js';
import { registerLimits } from './limits.js';
import { MapCache, staleness } from './map-cache.js';
import { createMetrics } from './metrics.js';
import { registerOpenApi } from './openapi.js';
import { registerRequestMetrics } from './request-metrics.js';
import { adminRoutes } from './routes/admin-routes.js';
import { demoRoutes } from './routes/demo-routes.js';
import { eventRoutes } from './routes/event-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { notificationRoutes } from './routes/notification-routes.js';
import { seatRoutes } from './routes/seat-routes.js';
import { sessionRoutes } from './routes/session-routes.js';
import { registerDocumentHeaders, registerSecurityHeaders } from './security-headers.js';
import { sseCodec } from './sse/sse-codec.js';
import { strictValidation } from './validation.js';

export interface SeatstreamOptions {
  /** Settings; what is left out takes its default (`defaultConfig`, or `loadConfig()` for the env's). */
  config?: Partial<Config>;
  /** Defaults to what the config names: Redis when `redisUrl` is set, else the embedded memory backend. */
  backend?: Backend;
  /** Clock for hold expiry (tests). */
  clock?: () => number;
}

export const DEMO_SCHEDULE = { scheduleId: 1, layout: { rows: 10, seatsPerRow: 20 } } as const;

/** Most bytes of a request body, unless a route says otherwise (the schedule import does). */
const BODY_LIMIT = 16 * 1024;

const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

/**
 * seatstream as a fastify plugin: `app.register(seatstream, { config })` adds its routes, its
 * hooks (readiness, drain and stream shutdown on `app.close()`) and `app.seatstream` (the
 * context: config, backend, seats, hub) to an operator's own fastify app. Its routes live in a
 * scope of their own: their validation (bodies as sent, no coercion), error answers, security
 * headers, CORS and rate limits do not touch the host's routes. The standalone server
 * (`buildApp`) is this plugin in a thin shell. Embedding: docs/integration.md.
 */
const plugin: FastifyPluginAsync<SeatstreamOptions> = async (app, options) => {
  const config: Config = { ...defaultConfig, ...options.config };
  const backend = options.backend ?? (await createBackend(config));
  const seats = new SeatHoldService(backend.store, {
    holdTtlMs: config.holdTtlMs,
    maxHoldPerUser: config.maxHoldPerUser,
    cooldownMs: config.holdCooldownMs,
    sweepMs: config.holdSweepMs,
    ...(options.clock && { clock: options.clock }),
    // Once per outage, without a stack: the sweep retries every HOLD_SWEEP_MS.
    onSweepError: (error) =>
      app.log.warn(
        { cause: error instanceof Error ? error.message : String(error) },
        'hold expiry sweep failing; retrying',
      ),
    onSweepRecovered: () => app.log.info('hold expiry sweep works again'),
    warnBeforeMs: config.holdWarningMs,
    // Holders hear of their holds on their private streams (user topics of the same bus).
    notify: (userId, event, data) => backend.bus.append(userTopic(userId), encodeNotice(event, JSON.stringify(data))),
    onNoticeError: (error) => app.log.warn({ err: error }, 'a hold notice could not be delivered'),
  });
  // The seat maps of GET …/seats and of snapshots: serialized once per event offset, shared.
  const maps = new MapCache({
    head: (scheduleId) => backend.bus.head(scheduleTopic(scheduleId)),
    read: (scheduleId) => seats.state(scheduleId),
    freshEpochOnCreate: backend.kind === 'redis',
  });
  const snapshotStaleness = staleness(config.snapshotMaxStalenessMs, config.replayLimit);
  const hub = new TopicHub({
    bus: backend.bus,
    codec: sseCodec(config.heartbeatStyle),
    heartbeatMs: config.heartbeatMs,
    snapshot: async (topic, form) => {
      // A private stream's notices have no snapshot: it goes on live (docs/integration.md).
      if (isUserTopic(topic)) return undefined;
      return (await maps.get(scheduleIdOfTopic(topic), snapshotStaleness)).snapshotIn(form);
    },
  });
  if (config.guestSessions && !config.sessionSecret) {
    app.log.warn(
      'SESSION_SECRET is not set: using a random secret, so sessions end when this process does ' +
        'and are not valid on other instances',
    );
  }

  await app.register(async (scope) => {
    strictValidation(scope);
    installErrorHandler(scope);
    scope.addHook('onRoute', (route) => {
      route.bodyLimit ??= BODY_LIMIT;
    });
    // Bodies are JSON only: a text/plain body (what fetch sends for a bare string) is a 415.
    scope.removeContentTypeParser('text/plain');
    registerSecurityHeaders(scope);
    declareAuthSlots(scope);
    await registerCors(scope, config.corsOrigins);
    // The adapter writes the `retry:` hint itself, on a block with data (protocol/sse-frames.ts).
    await scope.register(FastifySSEPlugin, { retryDelay: false });
    // The service is never throttled by the buyers' limits (its checkout sends from one address).
    const isService = async (request: FastifyRequest) =>
      (await auth.caller(request).catch(() => VIEWER)).role === 'service';
    const limits = await registerLimits(scope, config, backend.counters, isService);
    const guests = config.guestSessions ? new GuestTokens(config.sessionSecret, config.guestSessionTtlMs) : undefined;
    const identity = new Identity({
      guests,
      jwt: createJwtVerifier({
        secret: config.authJwtSecret,
        jwksUrl: config.authJwksUrl,
        issuer: config.authJwtIssuer,
        audience: config.authJwtAudience,
        roleClaim: config.authRoleClaim,
      }),
      serviceToken: config.adminToken,
      revocations: backend.revocations,
    });
    const auth = new Authenticator({
      identity,
      guests,
      jwtCookie: config.authCookieName,
      allowedOrigins: config.corsOrigins,
      limits,
    });
    const ctx: AppContext = {
      config,
      backend,
      seats,
      hub,
      auth,
      limits,
      metrics: createMetrics(() => hub.topicCount, backend),
      accepting: true,
    };
    // On the host: the context is for the operator's own code (and tests) too.
    app.decorate('seatstream', ctx);
    registerRequestMetrics(scope, ctx.metrics);
    const methods = trackMethods(scope);
    await registerOpenApi(scope);
    // The demo page is part of the demo: DEMO=off serves no page at all.
    // Loaded only for it, as CORS below only when configured: a module not needed is memory not taken.
    if (config.demo) {
      const { default: fastifyStatic } = await import('@fastify/static');
      // Documents get helmet's full set on top of the API's (security-headers.ts).
      await scope.register(async (pages) => {
        await registerDocumentHeaders(pages);
        await pages.register(fastifyStatic, { root: PUBLIC_DIR, index: 'index.html' });
      });
    }
    await scope.register(healthRoutes, { ctx });
    await scope.register(sessionRoutes, { ctx });
    await scope.register(seatRoutes, { ctx, maps });
    await scope.register(eventRoutes, { ctx });
    await scope.register(adminRoutes, { ctx });
    await scope.register(notificationRoutes, { ctx });
    if (config.demo) await scope.register(demoRoutes, { ctx });
    answerOtherMethods(scope, methods);
  });
  if (config.demo) await seats.createSchedule(DEMO_SCHEDULE.scheduleId, DEMO_SCHEDULE.layout);
  seats.start();

  const ctx = app.seatstream;
  app.addHook('preClose', async () => {
    // Readiness turns 503 at once; the streams go on for SHUTDOWN_DRAIN_MS while the balancer
    // notices, then end with a short, jittered retry hint (fastify answers the requests that
    // still arrive meanwhile when the host sets `return503OnClosing: false`, as buildApp does).
    ctx.accepting = false;
    if (config.shutdownDrainMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainMs));
    seats.stop();
    hub.closeStreams();
  });
  app.addHook('onClose', async () => {
    maps.close();
    await backend.close();
  });
};

export const seatstream = fp(plugin, { fastify: '5.x', name: 'seatstream' });

/**
 * CORS for the pages of `CORS_ORIGINS` (docs/api.md#cors), registered before the limits and the
 * routes: a preflight is answered (204) before any rate limit or authentication. A listed origin may send credentials
 * (the session cookie, EventSource's `withCredentials`) and the headers the API reads; any other
 * origin gets no CORS header at all (its preflight is a 404), so its browser refuses the answer.
 * `CORS_ORIGINS` unset: nothing is registered, as before (OPTIONS is a 404).
 */
async function registerCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  const { default: fastifyCors } = await import('@fastify/cors');
  const allowed = new Set(origins);
  await app.register(fastifyCors, {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin) ? origin : false),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID'],
    exposedHeaders: ['Last-Event-ID', 'ETag'],
    optionsSuccessStatus: 204,
  });
}
