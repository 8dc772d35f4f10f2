import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { ApiError } from '../errors.js';
import { sameSecret } from '../../auth/same-secret.js';

export async function healthRoutes(app: FastifyInstance, { ctx }: { ctx: AppContext }): Promise<void> {
  // Liveness: the process answers. Never depends on the backend, so an outage is not a restart loop.
  app.get('/healthz', async () => ({ status: 'ok' }));

  // Readiness: send traffic here only while accepting and the backend takes writes.
  app.get('/readyz', async (_request, reply) => {
    const backend = await ctx.backend.isReady().catch(() => false);
    const ready = ctx.accepting && backend;
    return reply.status(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not ready',
      accepting: ctx.accepting,
      backend: ctx.backend.kind,
      backendReady: backend,
    });
  });

  // Metrics tell an attacker how busy each instance is: only with METRICS_TOKEN, else no route.
  const token = ctx.config.metricsToken;
  if (token === undefined) return;
  app.get('/metrics', async (request, reply) => {
    const auth = request.headers.authorization ?? '';
    const given = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    if (!sameSecret(given, token)) throw new ApiError('UNAUTHORIZED', 'Send Authorization: Bearer <METRICS_TOKEN>');
    const { registry } = ctx.metrics;
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
