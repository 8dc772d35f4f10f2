import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { VIEWER } from '../../auth/caller.js';
import type { SeatChange } from '../../seats/seat-hold-service.js';
import { publicSeat } from '../../seats/seat-events.js';
import type { SeatState } from '../../seats/seat.js';
import type { PublicSeat } from '../../protocol/seat-events.js';
import { compress, negotiateEncoding } from '../content-encoding.js';
import type { AppContext } from '../context.js';
import { type MapCache, staleness } from '../map-cache.js';
import {
  CHANGE_REFUSALS,
  noBody,
  parseId,
  refusals,
  reserveBody,
  scheduleParams,
  seatChange,
  seatIdsBody,
  seatList,
} from '../schemas.js';

interface ScheduleRequest {
  Params: { scheduleId: string };
}

interface SeatIdsRequest extends ScheduleRequest {
  Body: { seatIds: number[] };
}

interface ReserveRequest extends ScheduleRequest {
  Body: { seatIds: number[]; userId: string; orderId: string };
}

/**
 * The seat map and its changes (docs/api.md). Holding and releasing one's own holds is a buyer's
 * act; reserving (after payment) and releasing anyone's seats is the service's.
 */
export async function seatRoutes(
  app: FastifyInstance,
  { ctx, maps }: { ctx: AppContext; maps: MapCache },
): Promise<void> {
  const { seats, auth, limits, metrics, config } = ctx;
  const publicStaleness = staleness(config.mapMaxStalenessMs, config.replayLimit);

  /** Runs a mutation and counts its outcome. */
  const counted = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    try {
      const result = await run();
      metrics.mutations.inc({ operation, outcome: 'ok' });
      return result;
    } catch (error) {
      metrics.mutations.inc({ operation, outcome: outcomeOf(error) });
      throw error;
    }
  };

  app.get<ScheduleRequest>(
    '/api/schedules/:scheduleId/seats',
    {
      schema: {
        summary: 'The seat map, with its last event id (a buyer sees its own seats marked)',
        params: scheduleParams,
        response: {
          200: {
            ...seatList,
            headers: {
              'Last-Event-ID': { type: 'string', description: 'Resume the stream from here: map + events, no gap' },
              ETag: { type: 'string' },
            },
          },
          304: noBody('Not modified (If-None-Match)'),
          ...refusals('BAD_REQUEST', 'SCHEDULE_NOT_FOUND', 'RATE_LIMITED', 'UNAVAILABLE'),
        },
      },
      onRequest: limits.reads,
    },
    async (request, reply) => {
      const scheduleId = parseId(request.params.scheduleId, 'scheduleId');
      // Reading is public: a stale or bad credential only means no seat is marked as mine.
      const caller = await auth.caller(request).catch(() => VIEWER);
      const userId = caller.role === 'buyer' ? caller.userId : undefined;
      // A buyer's map shows its latest holds; anyone else's may be MAP_MAX_STALENESS_MS behind.
      const body = await maps.get(scheduleId, userId === undefined ? publicStaleness : undefined);
      // The map a caller sees depends on who they are (their own seats are marked), so does the tag.
      const viewer = userId ? `.${createHash('sha256').update(userId).digest('base64url').slice(0, 12)}` : '';
      const etag = `"${body.eventId}${viewer}"`;
      void reply.headers({
        'Last-Event-ID': body.eventId,
        ETag: etag,
        'Cache-Control': 'no-cache',
        Vary: 'Cookie, Authorization, Accept-Encoding',
      });
      if (request.headers['if-none-match'] === etag) return reply.status(304).send();
      const encoding = negotiateEncoding(request.headers['accept-encoding'], body.map.bytes.length);
      // The shared bytes, compressed once per offset; a caller with seats of its own gets them
      // with those seats marked, made and compressed for it alone.
      let bytes: Buffer;
      if (userId === undefined || !body.map.hasSeatsOf(userId)) bytes = await body.encoded(encoding);
      else {
        const own = body.map.viewOf(userId);
        bytes = encoding === 'identity' ? own : await compress(own, encoding, 'fast');
      }
      if (encoding !== 'identity') void reply.header('Content-Encoding', encoding);
      return reply.type('application/json; charset=utf-8').send(bytes);
    },
  );

  const seatIds = { params: scheduleParams, body: seatIdsBody(config.maxSeatsPerRequest) };
  /** Refused by the store: what it does not know, or itself unreachable. */
  const fromStore = ['SCHEDULE_NOT_FOUND', 'SEAT_NOT_FOUND', 'UNAVAILABLE'] as const;

  app.post<SeatIdsRequest>(
    '/api/schedules/:scheduleId/seats/hold',
    {
      schema: {
        summary: 'Hold seats (a buyer)',
        ...seatIds,
        response: {
          200: seatChange,
          ...refusals(
            ...CHANGE_REFUSALS,
            'FORBIDDEN',
            ...fromStore,
            'SEATS_UNAVAILABLE',
            'HOLD_COOLDOWN',
            'HOLD_LIMIT',
            'ADDRESS_HOLD_LIMIT',
          ),
        },
      },
      onRequest: limits.mutations,
    },
    async (request) => {
      const scheduleId = parseId(request.params.scheduleId, 'scheduleId');
      const buyer = await auth.buyer(request);
      // Guests are anonymous, so their address is what one person's many sessions share.
      const perAddress = buyer.guest && config.rateLimits && config.maxHoldPerIp > 0;
      const change = await counted('hold', () =>
        seats.hold(scheduleId, buyer.userId, request.body.seatIds, {
          // A hold never outlives the session or token that made it.
          ...(Number.isFinite(buyer.expiresAt) && { notAfter: buyer.expiresAt }),
          ...(perAddress && { address: request.ip, maxPerAddress: config.maxHoldPerIp }),
        }),
      );
      return changeView(change, buyer.userId);
    },
  );

  app.post<SeatIdsRequest>(
    '/api/schedules/:scheduleId/seats/release',
    {
      schema: {
        summary: "Release seats: a buyer its own held seats, the service anyone's held or reserved seats",
        ...seatIds,
        response: { 200: seatChange, ...refusals(...CHANGE_REFUSALS, ...fromStore, 'NOT_YOUR_HOLD', 'NOT_HELD') },
      },
      onRequest: limits.mutations,
    },
    async (request) => {
      const scheduleId = parseId(request.params.scheduleId, 'scheduleId');
      const caller = await auth.caller(request);
      const ids = request.body.seatIds;
      // The service: a cancelled payment or a refund, held or reserved, anyone's.
      if (caller.role === 'service')
        return serviceView(await counted('release-any', () => seats.releaseAny(scheduleId, ids)));
      const buyer = await auth.buyer(request); // the same caller, or the right 401
      return changeView(await counted('release', () => seats.release(scheduleId, buyer.userId, ids)), buyer.userId);
    },
  );

  app.post<ReserveRequest>(
    '/api/schedules/:scheduleId/seats/reserve',
    {
      schema: {
        summary: "Reserve a buyer's held seats for an order (the service: the operator's checkout)",
        params: scheduleParams,
        body: reserveBody(config.maxSeatsPerRequest),
        response: {
          200: seatChange,
          ...refusals(...CHANGE_REFUSALS, 'FORBIDDEN', ...fromStore, 'NOT_HELD', 'ORDER_CONFLICT'),
        },
      },
      // Who asks comes first: a stranger learns nothing about the body's rules.
      onRequest: async (request) => auth.service(request),
    },
    async (request) => {
      const scheduleId = parseId(request.params.scheduleId, 'scheduleId');
      const { seatIds: ids, userId, orderId } = request.body;
      return serviceView(await counted('reserve', () => seats.reserveOrder(scheduleId, userId, ids, orderId)));
    },
  );
}

/** A seat in an answer: its public view, with what this caller may also see of it. */
type SeatView = PublicSeat & { mine?: true; expiresAt?: string; holder?: string };

/**
 * The caller's own seat is marked `mine`, with its hold's expiry. Fields are added to the public
 * view rather than spread into a new object, which cost 2–4 µs a seat in a hold's answer.
 */
function seatView(seat: SeatState, userId: string | undefined, isoTime: (ms: number) => string): SeatView {
  const view: SeatView = publicSeat(seat);
  if (!userId || seat.holder !== userId) return view;
  view.mine = true;
  if (seat.expiresAt !== undefined) view.expiresAt = isoTime(seat.expiresAt);
  return view;
}

function changeView(change: SeatChange, userId: string) {
  const expiresAt = change.expiresAt === undefined ? undefined : new Date(change.expiresAt).toISOString();
  // A hold's seats expire with it: its time is written out once.
  const isoTime = (ms: number) => (ms === change.expiresAt ? expiresAt! : new Date(ms).toISOString());
  return {
    scheduleId: change.scheduleId,
    status: change.status,
    seats: change.seats.map((seat) => seatView(seat, userId, isoTime)),
    expiresAt,
    eventId: change.eventId,
    events: change.events,
  };
}

/** The service sees whose seats they are. */
function serviceView(change: SeatChange) {
  return {
    scheduleId: change.scheduleId,
    status: change.status,
    seats: change.seats.map((seat) => {
      const view: SeatView = publicSeat(seat);
      if (seat.holder) view.holder = seat.holder;
      return view;
    }),
    eventId: change.eventId,
    events: change.events,
  };
}

function outcomeOf(error: unknown): string {
  return (error as { code?: string }).code?.toLowerCase() ?? 'error';
}
