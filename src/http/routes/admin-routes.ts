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

/** The service's schedule routes (ADMIN_TOKEN, or an operator JWT with the service role). */
export async function adminRoutes(app: FastifyInstance, { ctx }: { ctx: AppContext }): Promise<void> {
  app.addHook('onRequest', async (request: FastifyRequest) => ctx.auth.service(request));

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
