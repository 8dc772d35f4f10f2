import type { FastifyInstance, FastifyRequest } from 'fastify';
import { formatEventId } from '../../protocol/event-id.js';
import { LIMITS } from '../../seats/seat.js';
import type { AppContext } from '../context.js';
import { ApiError } from '../errors.js';
import {
  CHANGE_REFUSALS,
  noBody,
  parseId,
  refusals,
  scheduleImport,
  scheduleList,
  scheduleParams,
  SERVICE_REFUSALS,
  seatIdList,
} from '../schemas.js';

/**
 * Most seats one import names. One import is one Redis script, and a script must finish well
 * within the command timeout (1 s): past it the caller answers 503 while the script, atomic once
 * started, still applies — a 503 that was applied. 10,000 seats took 0.2 s; a bigger venue is
 * imported in several requests (each is idempotent, so a retried one is safe).
 */
export const MAX_IMPORT_SEATS = 10_000;

const layoutBody = {
  type: 'object',
  required: ['rows', 'seatsPerRow'],
  additionalProperties: false,
  properties: {
    rows: { type: 'integer', minimum: 1, maximum: LIMITS.maxRows },
    seatsPerRow: { type: 'integer', minimum: 1, maximum: LIMITS.maxSeatsPerRow },
    /** Seats the operator's records hold as sold: created, or restored, as RESERVED. */
    reserved: seatIdList(0, MAX_IMPORT_SEATS),
  },
} as const;

/** A body naming the most seats an import may (`100000,` × 10,000 is about 70 KB). */
const IMPORT_BODY_LIMIT = 128 * 1024;

interface LayoutBody {
  rows: number;
  seatsPerRow: number;
  reserved?: number[];
}

/** The service's schedule routes (ADMIN_TOKEN, or an operator JWT with the service role). */
export async function adminRoutes(app: FastifyInstance, { ctx }: { ctx: AppContext }): Promise<void> {
  // Every route here: 401 without a credential, 403 for a buyer, counted as a failed service try.
  app.addHook('onRequest', async (request: FastifyRequest) => ctx.auth.service(request));

  /**
   * Creates a schedule, or restores it from the operator's records (after a loss of Redis, say):
   * the seats named in `reserved` become RESERVED, one event each, a seat a buyer holds included.
   */
  app.put<{ Params: { scheduleId: string }; Body: LayoutBody }>(
    '/api/schedules/:scheduleId',
    {
      schema: {
        summary: 'Create a schedule, or import one with its sold seats (the service)',
        params: scheduleParams,
        body: layoutBody,
        response: {
          200: { description: 'The schedule existed: updated or unchanged', ...scheduleImport },
          201: { description: 'The schedule was created', ...scheduleImport },
          ...refusals(...CHANGE_REFUSALS, ...SERVICE_REFUSALS, 'SEAT_NOT_FOUND', 'LAYOUT_CONFLICT'),
        },
      },
      bodyLimit: IMPORT_BODY_LIMIT,
    },
    async (request, reply) => {
      const scheduleId = parseId(request.params.scheduleId, 'scheduleId');
      const { rows, seatsPerRow, reserved = [] } = request.body;
      if (rows * seatsPerRow > LIMITS.maxSeats) {
        throw new ApiError('BAD_REQUEST', `A schedule has at most ${LIMITS.maxSeats} seats`);
      }
      const result = await ctx.seats.importSchedule(scheduleId, { rows, seatsPerRow }, reserved);
      return reply.status(result.outcome === 'created' ? 201 : 200).send({
        scheduleId,
        rows,
        seatsPerRow,
        seats: rows * seatsPerRow,
        outcome: result.outcome,
        reserved: result.reserved,
        eventId: formatEventId(result.eventId),
        events: result.events,
      });
    },
  );

  /** Every schedule with its layout, seat counts by status and last event id, sorted by id. */
  app.get(
    '/api/schedules',
    {
      schema: {
        summary: 'Every schedule: layout, counts by status, last event id (the service)',
        response: { 200: scheduleList, ...refusals(...SERVICE_REFUSALS) },
      },
    },
    async () => {
      const schedules = await ctx.seats.listSchedules();
      return {
        schedules: schedules.map((s) => ({
          scheduleId: s.scheduleId,
          rows: s.layout.rows,
          seatsPerRow: s.layout.seatsPerRow,
          seats: s.layout.rows * s.layout.seatsPerRow,
          available: s.available,
          held: s.held,
          reserved: s.reserved,
          lastEventId: formatEventId(s.lastEventId),
        })),
      };
    },
  );

  /** Deletes a schedule; every stream that follows it, on every instance, ends with `event: deleted`. */
  app.delete<{ Params: { scheduleId: string } }>(
    '/api/schedules/:scheduleId',
    {
      schema: {
        summary: 'Delete a schedule; its streams end with `deleted` (the service)',
        params: scheduleParams,
        response: {
          204: noBody('Deleted'),
          ...refusals(...CHANGE_REFUSALS, ...SERVICE_REFUSALS, 'SCHEDULE_NOT_FOUND'),
        },
      },
    },
    async (request, reply) => {
      await ctx.seats.deleteSchedule(parseId(request.params.scheduleId, 'scheduleId'));
      return reply.status(204).send();
    },
  );
}
