import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

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

  app.get('/metrics', async (_request, reply) => {
    const { registry } = ctx.metrics;
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
