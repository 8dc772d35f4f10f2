import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LIMITS } from '../../seats/seat.js';
import type { AppContext } from '../context.js';
import { ApiError } from '../errors.js';
import { parseId, scheduleParams } from '../schemas.js';

const layoutBody = {
  type: 'object',
  required: ['rows', 'seatsPerRow'],
  additionalProperties: false,
  properties: {
    rows: { type: 'integer', minimum: 1, maximum: LIMITS.maxRows },
    seatsPerRow: { type: 'integer', minimum: 1, maximum: LIMITS.maxSeatsPerRow },
  },
} as const;

/** Operator routes; registered only when ADMIN_TOKEN is set. */
export async function adminRoutes(app: FastifyInstance, { ctx }: { ctx: AppContext }): Promise<void> {
  const token = Buffer.from(ctx.config.adminToken ?? '');
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const auth = request.headers.authorization ?? '';
    const given = Buffer.from(auth.startsWith('Bearer ') ? auth.slice(7).trim() : '');
    if (given.length !== token.length || !timingSafeEqual(given, token)) {
      throw new ApiError('UNAUTHORIZED', 'Admin routes need Authorization: Bearer <ADMIN_TOKEN>');
    }
  });

  app.put<{ Params: { scheduleId: string }; Body: { rows: number; seatsPerRow: number } }>(
    '/api/schedules/:scheduleId',
    { schema: { params: scheduleParams, body: layoutBody } },
    async (request, reply) => {
      const scheduleId = parseId(request.params.scheduleId, 'scheduleId');
      const { rows, seatsPerRow } = request.body;
      if (rows * seatsPerRow > LIMITS.maxSeats) {
        throw new ApiError('BAD_REQUEST', `A schedule has at most ${LIMITS.maxSeats} seats`);
      }
      const outcome = await ctx.seats.createSchedule(scheduleId, { rows, seatsPerRow });
      return reply
        .status(outcome === 'created' ? 201 : 200)
        .send({ scheduleId, rows, seatsPerRow, seats: rows * seatsPerRow, outcome });
    },
  );
}
