import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { CHANGE_REFUSALS, parseId, refusals, scheduleParams, seatChange, seatIdsBody } from '../schemas.js';

interface CheckoutRequest {
  Params: { scheduleId: string };
  Body: { seatIds: number[] };
}

/**
 * The demo's checkout: it stands in for the operator's own (payment, then the service's reserve)
 * so the demo page's "Reserve my seats" works. It exists only while the demo is on (`DEMO`).
 */
export async function demoRoutes(app: FastifyInstance, { ctx }: { ctx: AppContext }): Promise<void> {
  const { auth, seats, limits, config } = ctx;
  app.post<CheckoutRequest>(
    '/api/demo/schedules/:scheduleId/checkout',
    {
      schema: {
        summary: "The demo's checkout: reserve your held seats (only while DEMO is on)",
        params: scheduleParams,
        body: seatIdsBody(config.maxSeatsPerRequest),
        response: {
          200: seatChange,
          ...refusals(
            ...CHANGE_REFUSALS,
            'FORBIDDEN',
            'SCHEDULE_NOT_FOUND',
            'SEAT_NOT_FOUND',
            'NOT_HELD',
            'ORDER_CONFLICT',
            'UNAVAILABLE',
          ),
        },
      },
      onRequest: limits.mutations,
    },
    async (request) => {
      const scheduleId = parseId(request.params.scheduleId, 'scheduleId');
      const buyer = await auth.buyer(request);
      // The order is named by who and what, so a retried checkout is the same order (events: 0).
      const seatList = [...request.body.seatIds].sort((a, b) => a - b).join(',');
      const digest = createHash('sha256').update(`${buyer.userId}|${seatList}`).digest('base64url');
      const orderId = `demo-${digest.slice(0, 32)}`;
      const change = await seats.reserveOrder(scheduleId, buyer.userId, request.body.seatIds, orderId);
      return {
        scheduleId,
        status: change.status,
        seats: change.seats.map((seat) => ({
          id: seat.id,
          row: seat.row,
          number: seat.number,
          status: seat.status,
          mine: true,
        })),
        eventId: change.eventId,
        events: change.events,
      };
    },
  );
}
