import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';

/**
 * Times the request/response routes of `scope` (those registered after this call) into
 * `seatstream_http_request_duration_seconds`, by method, route pattern and status code: from the
 * request's arrival (before the onRequest hooks, so limits and authentication count) to the end of
 * the response (fastify's `reply.elapsedTime`). An SSE response is left out, its duration being the
 * stream's life; a stream route's refusals (404, 429, 503) are ordinary answers and are timed.
 */
export function registerRequestMetrics(scope: FastifyInstance, metrics: Metrics): void {
  const { requestDuration } = metrics;
  scope.addHook('onResponse', (request, reply, done) => {
    const type = reply.getHeader('content-type');
    if (typeof type !== 'string' || !type.startsWith('text/event-stream')) {
      requestDuration.observe(
        { method: request.method, route: request.routeOptions.url ?? 'unknown', status_code: reply.statusCode },
        reply.elapsedTime / 1000,
      );
    }
    done();
  });
}
