import { createServer, type RequestListener } from 'node:http';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { FastifySSEPlugin } from 'fastify-sse-v2';
import { VIEWER } from '../auth/caller.js';
import { GuestTokens } from '../auth/guest-tokens.js';
import { Identity } from '../auth/identity.js';
import { createJwtVerifier } from '../auth/jwt-verifier.js';
import type { Backend } from '../backends/backend.js';
import { createBackend } from '../backends/create-backend.js';
import type { Config } from '../config.js';
import { TopicHub } from '../hub/topic-hub.js';
import { encodeNotice, isUserTopic, userTopic } from '../hub/user-topic.js';
import { SeatHoldService } from '../seats/seat-hold-service.js';
import { encodeSnapshot } from '../protocol/seat-events.js';
import { publicSeat, scheduleIdOfTopic } from '../seats/seat-events.js';
import { Authenticator } from './authenticate.js';
import type { AppContext } from './context.js';
import { clientErrorResponse, installErrorHandlers } from './errors.js';
import { registerLimits } from './limits.js';
import { createMetrics } from './metrics.js';
import { adminRoutes } from './routes/admin-routes.js';
import { demoRoutes } from './routes/demo-routes.js';
import { eventRoutes } from './routes/event-routes.js';
import { notificationRoutes } from './routes/notification-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { seatRoutes } from './routes/seat-routes.js';
import { sessionRoutes } from './routes/session-routes.js';
import { registerSecurityHeaders } from './security-headers.js';
import { sseCodec } from './sse/sse-codec.js';
import { createTlsServer, tlsFiles } from './tls-server.js';

export interface BuildOptions {
  /** Defaults to what the config names: Redis when REDIS_URL is set, else the embedded memory backend. */
  backend?: Backend;
  logger?: FastifyServerOptions['logger'];
  /** Clock for hold expiry (tests). */
  clock?: () => number;
}

export const DEMO_SCHEDULE = { scheduleId: 1, layout: { rows: 10, seatsPerRow: 20 } } as const;

const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

/** Builds the app without listening: the process entry (main.ts) and tests both start here. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  // With TLS_CERT_FILE / TLS_KEY_FILE: HTTP/2 over TLS, HTTP/1.1 still allowed (docs/operations.md, TLS).
  const tls = config.tlsCertFile && config.tlsKeyFile ? tlsFiles(config.tlsCertFile, config.tlsKeyFile) : undefined;
  // The one place the server's type differs: under TLS it is an Http2SecureServer whose requests
  // are Http2ServerRequest or IncomingMessage (HTTP/1.1). Every route, hook and test uses only what
  // both have (headers, url, socket address, the raw response's write/end/destroy/'close'), so the
  // app stays typed as the HTTP/1 instance the rest of the code knows: these flags are typed
  // `object`, which picks fastify's HTTP/1 overload, and the factory's server is cast to match.
  const http2Flags: object = tls ? { http2: true, https: { ...tls, allowHTTP1: true } } : {};
  const app = Fastify({
    ...http2Flags,
    logger: logger(config, options.logger),
    // Open SSE streams would otherwise keep app.close() waiting forever.
    forceCloseConnections: true,
    bodyLimit: 16 * 1024,
    // Bodies are validated as sent: "5" is not a seat id.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    // X-Forwarded-* only from the proxies the operator names: anyone else could pick an address.
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    // The whole request (headers and body) must arrive in time; a stream is a response, not cut by
    // it. Node checks these every connectionsCheckingInterval (30 s by default): check every second.
    serverFactory: (handler) =>
      tls
        ? (createTlsServer(config, tls, handler as RequestListener) as unknown as ReturnType<typeof createServer>)
        : createServer(
            {
              requestTimeout: config.requestTimeoutMs,
              headersTimeout: Math.min(config.headersTimeoutMs, config.requestTimeoutMs),
              connectionsCheckingInterval: 1_000,
            },
            handler,
          ),
    clientErrorHandler: (error, socket) => {
      // Answer, then close both ways: a client that keeps its side open must not keep the socket.
      if (socket.writable) socket.end(clientErrorResponse(error), () => socket.destroy());
      else socket.destroy();
    },
  });

  const backend = options.backend ?? (await createBackend(config));
  const seats = new SeatHoldService(backend.store, {
    holdTtlMs: config.holdTtlMs,
    maxHoldPerUser: config.maxHoldPerUser,
    cooldownMs: config.holdCooldownMs,
    sweepMs: config.holdSweepMs,
    ...(options.clock && { clock: options.clock }),
    onSweepError: (error) => app.log.warn({ err: error }, 'hold expiry sweep failed; retrying'),
    warnBeforeMs: config.holdWarningMs,
    // Holders hear of their holds on their private streams (user topics of the same bus).
    notify: (userId, event, data) => backend.bus.append(userTopic(userId), encodeNotice(event, JSON.stringify(data))),
    onNoticeError: (error) => app.log.warn({ err: error }, 'a hold notice could not be delivered'),
  });
  const hub = new TopicHub({
    bus: backend.bus,
    codec: sseCodec(config.heartbeatStyle),
    heartbeatMs: config.heartbeatMs,
    snapshot: async (topic) => {
      // A private stream's notices have no snapshot: it goes on live (docs/integration.md).
      if (isUserTopic(topic)) return undefined;
      const state = await seats.state(scheduleIdOfTopic(topic));
      return { id: state.lastEventId, data: encodeSnapshot(state.scheduleId, state.seats.map(publicSeat)) };
    },
  });
  if (config.guestSessions && !config.sessionSecret) {
    app.log.warn(
      'SESSION_SECRET is not set: using a random secret, so sessions end when this process does ' +
        'and are not valid on other instances',
    );
  }
  installErrorHandlers(app);
  // Bodies are JSON only: a text/plain body (what fetch sends for a bare string) is a 415.
  app.removeContentTypeParser('text/plain');
  await registerSecurityHeaders(app);
  await registerCors(app, config.corsOrigins);
  await app.register(fastifyCookie);
  // The adapter writes the `retry:` hint itself, on a block with data (protocol/sse-frames.ts).
  await app.register(FastifySSEPlugin, { retryDelay: false });
  // The service is never throttled by the buyers' limits (its checkout sends from one address).
  const isService = async (request: FastifyRequest) =>
    (await auth.caller(request).catch(() => VIEWER)).role === 'service';
  const limits = await registerLimits(app, config, backend.counters, isService);
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
    metrics: createMetrics(() => hub.topicCount),
    accepting: true,
  };
  app.decorate('seatstream', ctx);

  // The demo page is part of the demo: DEMO=off serves no page at all.
  if (config.demo) await app.register(fastifyStatic, { root: PUBLIC_DIR, index: 'index.html' });
  await app.register(healthRoutes, { ctx });
  await app.register(sessionRoutes, { ctx });
  await app.register(seatRoutes, { ctx });
  await app.register(eventRoutes, { ctx });
  await app.register(adminRoutes, { ctx });
  await app.register(notificationRoutes, { ctx });
  if (config.demo) await app.register(demoRoutes, { ctx });

  if (config.demo) await seats.createSchedule(DEMO_SCHEDULE.scheduleId, DEMO_SCHEDULE.layout);
  seats.start();

  app.addHook('preClose', async () => {
    // Readiness turns false first; open streams end with a short, jittered retry hint.
    ctx.accepting = false;
    seats.stop();
    hub.closeStreams();
  });
  app.addHook('onClose', async () => {
    await backend.close();
  });
  return app;
}

/** A request as log lines show it: `?access_token=` (stream routes) is scrubbed from the URL. */
export function requestForLog(request: FastifyRequest) {
  return {
    method: request.method,
    url: request.url.replace(/([?&]access_token=)[^&]*/g, '$1[redacted]'),
    remoteAddress: request.ip,
  };
}

/**
 * CORS for the pages of `CORS_ORIGINS` (docs/api.md#cors), registered before the limits and the
 * routes: a preflight is answered (204) before any rate limit or authentication. A listed origin may send credentials
 * (the session cookie, EventSource's `withCredentials`) and the headers the API reads; any other
 * origin gets no CORS header at all (its preflight is a 404), so its browser refuses the answer.
 * `CORS_ORIGINS` unset: nothing is registered, as before (OPTIONS is a 404).
 */
async function registerCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
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

/** TRUST_PROXY=<n>: believe the n proxies nearest to this server (as a trust function). */
function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

/** The logger, whichever is given, keeps the request serializer that scrubs `?access_token=`. */
function logger(config: Config, given: BuildOptions['logger']): FastifyServerOptions['logger'] {
  const serializers = { req: requestForLog };
  if (given === undefined) return { level: config.logLevel, serializers };
  if (typeof given === 'object' && given !== null)
    return { ...given, serializers: { ...given.serializers, ...serializers } };
  return given;
}
