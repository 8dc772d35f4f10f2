import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

export async function sessionRoutes(app: FastifyInstance, { ctx }: { ctx: AppContext }): Promise<void> {
  // A guest identity: kept if the cookie is still valid, so a page reload stays the same guest.
  app.post('/api/session', async (request, reply) => ctx.sessions.start(request, reply));
}
