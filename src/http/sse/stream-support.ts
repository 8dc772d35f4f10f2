import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { ApiError } from '../errors.js';
import type { SseStreamOptions } from './sse-stream.js';

/** What every stream route (seat streams, private streams) shares. */

/** The header wins: a browser reconnects to the URL it first opened, with its newest id in the header. */
export function resumeText(request: FastifyRequest): string | undefined {
  const header = request.headers['last-event-id'];
  const query = (request.query as { lastEventId?: string }).lastEventId;
  const text = (Array.isArray(header) ? header[0] : header)?.trim() || query?.trim();
  return text || undefined;
}

/** Takes one of the address's stream slots (per instance), or refuses with 429. */
export function claimStreamSlot(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): void {
  if (!ctx.limits.openStream(request, reply)) {
    throw new ApiError('RATE_LIMITED', `At most ${ctx.config.maxStreamsPerIp} open streams per address`, {
      retryAfter: 5,
    });
  }
}

/** A stream's lifetime, jittered (80–100 %) so reconnects spread out again across instances. */
export function streamLifetimeMs(ctx: AppContext): number {
  return ctx.config.sseMaxLifetimeMs * (0.8 + 0.2 * Math.random());
}

/** Made once per app and shared by all its streams: nothing in it is per connection. */
export function sseOptions(ctx: AppContext): SseStreamOptions {
  const { config, metrics } = ctx;
  return {
    bufferLimitBytes: config.sseBufferLimitBytes,
    retryMs: config.sseRetryMs,
    // Shutting down: come back soon, spread out, to another instance.
    retryOnEnd: () => (ctx.accepting ? config.sseRetryMs : 250 + Math.random() * 1000),
    snapshotTimeoutMs: config.snapshotWriteTimeoutMs,
    onOverflow: (request, pendingBytes, chunkBytes) => {
      metrics.sseOverflows.inc();
      request.log.warn(
        { ...streamFollows(request), pendingBytes, chunkBytes, limitBytes: config.sseBufferLimitBytes },
        'SSE client too slow: disconnected with more than SSE_BUFFER_LIMIT_BYTES unsent',
      );
    },
    // A slow reader too, counted with the others: it could not take a snapshot in time.
    onSnapshotTimeout: (request, pendingBytes) => {
      metrics.sseOverflows.inc();
      request.log.warn(
        { ...streamFollows(request), pendingBytes, timeoutMs: config.snapshotWriteTimeoutMs },
        'SSE client too slow: disconnected with a snapshot not taken within SNAPSHOT_WRITE_TIMEOUT_MS',
      );
    },
    onOpen: () => {
      metrics.sseOpen.inc();
      metrics.sseOpened.inc();
    },
    onClose: () => metrics.sseOpen.dec(),
    onWrite: metrics.sseWrites.written,
  };
}

/**
 * What a stream follows, for its log lines, read back from its request when a line is written
 * (nothing is kept per connection for it): the route, and the schedules its path or `?schedules=` name.
 */
function streamFollows(request: FastifyRequest): { route: string | undefined; schedules?: string } {
  const { scheduleId } = request.params as { scheduleId?: string };
  const schedules = scheduleId ?? (request.query as { schedules?: string }).schedules;
  return { route: request.routeOptions.url, ...(schedules !== undefined && { schedules }) };
}
