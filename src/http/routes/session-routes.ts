import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { BODY_REFUSALS, guestSession, noBody, refusals } from '../schemas.js';

export async function sessionRoutes(app: FastifyInstance, { ctx }: { ctx: AppContext }): Promise<void> {
  const { auth, limits, config } = ctx;
  // GUEST_SESSIONS=off: buyers come with the operator's JWT; there is no guest route at all.
  if (config.guestSessions) {
    // A guest identity: kept if the cookie is still valid, so a page reload stays the same guest.
    app.post(
      '/api/session',
      {
        schema: {
          summary: 'Start (or keep) a guest session',
          response: { 200: guestSession, ...refusals(...BODY_REFUSALS, 'RATE_LIMITED', 'UNAVAILABLE') },
        },
        onRequest: limits.sessions,
      },
      (request, reply) => auth.startGuest(request, reply),
    );
  } else {
    // The route is gone, which a 405 (the path takes DELETE) would not say: the 404 of a path never
    // served, before a body is read (a hook that never calls `done` ends the request there).
    app.post('/api/session', {
      schema: { hide: true },
      onRequest: (_request, reply, _done) => void reply.callNotFound(),
      handler: async () => undefined,
    });
  }

  // Logout: the guest token is refused from now on, on every instance; the cookie is cleared.
  app.delete(
    '/api/session',
    {
      schema: {
        summary: 'Log out: revoke the guest token, clear its cookie',
        response: { 204: noBody('Logged out'), ...refusals(...BODY_REFUSALS, 'BAD_ORIGIN', 'UNAVAILABLE') },
      },
    },
    async (request, reply) => {
      await auth.logout(request, reply);
      return reply.status(204).send();
    },
  );
}
