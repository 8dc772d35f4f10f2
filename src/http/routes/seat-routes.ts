import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { formatEventId } from '../../protocol/event-id.js';
import type { SeatChange } from '../../seats/seat-hold-service.js';
import { publicSeat } from '../../seats/seat-events.js';
import type { SeatState } from '../../seats/seat.js';
import type { AppContext } from '../context.js';
import { parseId, scheduleParams, seatIdsBody } from '../schemas.js';

interface ScheduleRequest {
  Params: { scheduleId: string };
}

interface SeatIdsRequest extends ScheduleRequest {
  Body: { seatIds: number[] };
}

type Operation = 'hold' | 'release' | 'reserve';

export async function seatRoutes(app: FastifyInstance, { ctx }: { ctx: AppContext }): Promise<void> {
  const { seats, sessions, metrics } = ctx;

  app.get<ScheduleRequest>(
    '/api/schedules/:scheduleId/seats',
    { schema: { params: scheduleParams } },
    async (request, reply) => {
      const scheduleId = parseId(request.params.scheduleId, 'scheduleId');
      const userId = sessions.userOf(request);
      const state = await seats.state(scheduleId);
      const lastEventId = formatEventId(state.lastEventId);
      // The map a caller sees depends on who they are (their own seats are marked), so does the tag.
      const viewer = userId ? `.${createHash('sha256').update(userId).digest('base64url').slice(0, 12)}` : '';
      const etag = `"${lastEventId}${viewer}"`;
      void reply.headers({
        'Last-Event-ID': lastEventId,
        ETag: etag,
        'Cache-Control': 'no-cache',
        Vary: 'Cookie, Authorization',
      });
      if (request.headers['if-none-match'] === etag) return reply.status(304).send();
      return state.seats.map((seat) => seatView(seat, userId));
    },
  );

  const mutation = { schema: { params: scheduleParams, body: seatIdsBody(ctx.config.maxSeatsPerRequest) } };
  /** Every mutation route: the caller's session, the domain call, the outcome counted. */
  const mutate = (operation: Operation) => async (request: FastifyRequest<SeatIdsRequest>) => {
    const scheduleId = parseId(request.params.scheduleId, 'scheduleId');
    const userId = sessions.requireUser(request);
    try {
      const change = await seats[operation](scheduleId, userId, request.body.seatIds);
      metrics.mutations.inc({ operation, outcome: 'ok' });
      return changeView(change, userId);
    } catch (error) {
      metrics.mutations.inc({ operation, outcome: outcomeOf(error) });
      throw error;
    }
  };

  app.post<SeatIdsRequest>('/api/schedules/:scheduleId/seats/hold', mutation, mutate('hold'));
  app.post<SeatIdsRequest>('/api/schedules/:scheduleId/seats/release', mutation, mutate('release'));
  app.post<SeatIdsRequest>('/api/schedules/:scheduleId/seats/reserve', mutation, mutate('reserve'));
}

function seatView(seat: SeatState, userId: string | undefined) {
  if (!userId || seat.holder !== userId) return publicSeat(seat);
  return seat.expiresAt === undefined
    ? { ...publicSeat(seat), mine: true }
    : { ...publicSeat(seat), mine: true, expiresAt: new Date(seat.expiresAt).toISOString() };
}

function changeView(change: SeatChange, userId: string) {
  return {
    scheduleId: change.scheduleId,
    status: change.status,
    seats: change.seats.map((seat) => seatView(seat, userId)),
    ...(change.expiresAt !== undefined && { expiresAt: new Date(change.expiresAt).toISOString() }),
    eventId: change.eventId,
    events: change.events,
  };
}

function outcomeOf(error: unknown): string {
  return (error as { code?: string }).code?.toLowerCase() ?? 'error';
}
