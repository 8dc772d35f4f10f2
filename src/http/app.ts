import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { FastifySSEPlugin } from 'fastify-sse-v2';
import type { Backend } from '../backends/backend.js';
import { createBackend } from '../backends/create-backend.js';
import type { Config } from '../config.js';
import { TopicHub } from '../hub/topic-hub.js';
import { SeatHoldService } from '../seats/seat-hold-service.js';
import { encodeSnapshot } from '../protocol/seat-events.js';
import { publicSeat, scheduleIdOfTopic } from '../seats/seat-events.js';
import type { AppContext } from './context.js';
import { installErrorHandlers } from './errors.js';
import { createMetrics } from './metrics.js';
import { adminRoutes } from './routes/admin-routes.js';
import { eventRoutes } from './routes/event-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { seatRoutes } from './routes/seat-routes.js';
import { sessionRoutes } from './routes/session-routes.js';
import { Sessions } from './session.js';
import { sseCodec } from './sse/sse-codec.js';

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
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    // Open SSE streams would otherwise keep app.close() waiting forever.
    forceCloseConnections: true,
    bodyLimit: 16 * 1024,
    // Bodies are validated as sent: "5" is not a seat id.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    trustProxy: true,
  });

  const backend = options.backend ?? (await createBackend(config));
  const seats = new SeatHoldService(backend.store, {
    holdTtlMs: config.holdTtlMs,
    maxHoldPerUser: config.maxHoldPerUser,
    sweepMs: config.holdSweepMs,
    ...(options.clock && { clock: options.clock }),
    onSweepError: (error) => app.log.warn({ err: error }, 'hold expiry sweep failed; retrying'),
  });
  const hub = new TopicHub({
    bus: backend.bus,
    codec: sseCodec(config.heartbeatStyle),
    heartbeatMs: config.heartbeatMs,
    snapshot: async (topic) => {
      const state = await seats.state(scheduleIdOfTopic(topic));
      return { id: state.lastEventId, data: encodeSnapshot(state.scheduleId, state.seats.map(publicSeat)) };
    },
  });
  if (!config.sessionSecret) {
    app.log.warn(
      'SESSION_SECRET is not set: using a random secret, so sessions end when this process does ' +
        'and are not valid on other instances',
    );
  }
  const ctx: AppContext = {
    config,
    backend,
    seats,
    hub,
    sessions: new Sessions(config.sessionSecret),
    metrics: createMetrics(() => hub.topicCount),
    accepting: true,
  };
  app.decorate('seatstream', ctx);

  installErrorHandlers(app);
  // Bodies are JSON only: a text/plain body (what fetch sends for a bare string) is a 415.
  app.removeContentTypeParser('text/plain');
  await app.register(fastifyCookie);
  await app.register(FastifySSEPlugin, { retryDelay: config.sseRetryMs });
  await app.register(fastifyStatic, { root: PUBLIC_DIR, index: 'index.html' });
  await app.register(healthRoutes, { ctx });
  await app.register(sessionRoutes, { ctx });
  await app.register(seatRoutes, { ctx });
  await app.register(eventRoutes, { ctx });
  if (config.adminToken) await app.register(adminRoutes, { ctx });

  if (config.demoSchedule) await seats.createSchedule(DEMO_SCHEDULE.scheduleId, DEMO_SCHEDULE.layout);
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
