import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { ApiError, bearerChallenge } from '../errors.js';
import { readiness, refusals } from '../schemas.js';
import { secretMatcher } from '../../auth/same-secret.js';

export async function healthRoutes(app: FastifyInstance, { ctx }: { ctx: AppContext }): Promise<void> {
  // Liveness: the process answers. Never depends on the backend, so an outage is not a restart loop.
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness',
        response: {
          200: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } },
          ...refusals(),
        },
      },
    },
    async () => ({ status: 'ok' }),
  );

  // Readiness: send traffic here only while accepting and the backend takes writes.
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: 200 while accepting and the backend takes writes',
        response: {
          200: { description: 'Ready', ...readiness },
          503: {
            description: 'Not ready (shutting down, or the backend does not take writes): its own body',
            headers: { 'Retry-After': { type: 'integer', description: 'Seconds until asking again helps' } },
            ...readiness,
          },
          ...refusals(),
        },
      },
    },
    async (_request, reply) => {
      const backend = await ctx.backend.isReady().catch(() => false);
      const ready = ctx.accepting && backend;
      // Every 503 says when to come back, this one too (its body is its own, not an error's).
      if (!ready) void reply.header('Retry-After', '1');
      return reply.status(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'not ready',
        accepting: ctx.accepting,
        backend: ctx.backend.kind,
        backendReady: backend,
      });
    },
  );

  // Metrics tell an attacker how busy each instance is: only with METRICS_TOKEN, else no route.
  const token = ctx.config.metricsToken;
  if (token === undefined) return;
  const isMetricsToken = secretMatcher(token);
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (only with METRICS_TOKEN)',
        response: {
          // Text with its own content type: fastify sends strings of a non-JSON type as they are.
          200: { description: 'The Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } },
          ...refusals('UNAUTHORIZED'),
        },
      },
    },
    async (request, reply) => {
      const auth = request.headers.authorization ?? '';
      const given = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
      if (!isMetricsToken(given)) {
        throw new ApiError(
          'UNAUTHORIZED',
          'Send Authorization: Bearer <METRICS_TOKEN>',
          {},
          bearerChallenge(given !== ''),
        );
      }
      const { registry } = ctx.metrics;
      return reply.type(registry.contentType).send(await registry.metrics());
    },
  );
}
