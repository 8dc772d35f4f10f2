import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

export async function sessionRoutes(app: FastifyInstance, { ctx }: { ctx: AppContext }): Promise<void> {
  const { auth, limits, config } = ctx;
  // GUEST_SESSIONS=off: buyers come with the operator's JWT; there is no guest route at all.
  if (config.guestSessions) {
    // A guest identity: kept if the cookie is still valid, so a page reload stays the same guest.
    app.post('/api/session', { onRequest: limits.sessions }, (request, reply) => auth.startGuest(request, reply));
  }

  // Logout: the guest token is refused from now on, on every instance; the cookie is cleared.
  app.delete('/api/session', async (request, reply) => {
    await auth.logout(request, reply);
    return reply.status(204).send();
  });
}
