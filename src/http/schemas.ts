import { ERROR_CODES, ERRORS, type ErrorCode } from '../protocol/errors.js';
import { ApiError } from './errors.js';

const MAX_ID = 2_147_483_647;

/** Ids are positive 32-bit integers written in plain decimal: no signs, exponents or hex. */
export const idPattern = '^[1-9][0-9]{0,9}$';
const ID = new RegExp(idPattern);

export const scheduleParams = {
  type: 'object',
  required: ['scheduleId'],
  properties: { scheduleId: { type: 'string', pattern: idPattern } },
} as const;

/** A list of distinct seat ids. */
export function seatIdList<Min extends number>(minItems: Min, maxItems: number) {
  return {
    type: 'array',
    minItems,
    maxItems,
    uniqueItems: true,
    items: { type: 'integer', minimum: 1, maximum: MAX_ID },
  } as const;
}

export function seatIdsBody(maxSeats: number) {
  return {
    type: 'object',
    required: ['seatIds'],
    additionalProperties: false,
    properties: { seatIds: seatIdList(1, maxSeats) },
  } as const;
}

/** Reserve (the service's act): the seats, whose holder they must be, and the order they are for. */
export function reserveBody(maxSeats: number) {
  const { properties } = seatIdsBody(maxSeats);
  return {
    type: 'object',
    required: ['seatIds', 'userId', 'orderId'],
    additionalProperties: false,
    properties: {
      ...properties,
      userId: { type: 'string', minLength: 1, maxLength: 256 },
      orderId: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,64}$' },
    },
  } as const;
}

export function parseId(text: string, what: string): number {
  const id = ID.test(text) ? Number(text) : NaN;
  if (!(id <= MAX_ID)) throw new ApiError('BAD_REQUEST', `${what} must be an integer between 1 and ${MAX_ID}`);
  return id;
}

/**
 * Answer schemas. A route's `response` schema serializes its answers and describes them in
 * `/openapi.json`. fast-json-stringify is faster than JSON.stringify but drops properties a schema
 * does not list, coerces types, and writes `required` properties before the others: so each
 * schema lists every field the route sends, in the order the route builds it, and names as
 * `required` only the fields before the first optional one.
 */

/** The `$id` routes name to reference the error body (`{ $ref: 'ErrorBody#' }`), added to the scope. */
export const ERROR_BODY_ID = 'ErrorBody';

/** The body of every error answer: `{ error, message, ...details }` (protocol/errors.ts). */
export const errorBodySchema = {
  $id: ERROR_BODY_ID,
  type: 'object',
  description: 'Every error answer: a code of the API (docs/api.md#errors), a message, details for some codes',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', enum: [...ERROR_CODES] },
    message: { type: 'string' },
    seatIds: { type: 'array', items: { type: 'integer' }, description: 'Seat refusals: the seats refused' },
    retryAfter: { type: 'integer', description: 'RATE_LIMITED, HOLD_COOLDOWN: seconds until trying again helps' },
    scheduleId: { type: 'integer', description: 'SCHEDULE_NOT_FOUND on a stream route: the unknown schedule' },
  },
  // Details differ by code; a detail not listed here must still reach the client.
  additionalProperties: true,
} as const;

/** Headers that come with an error status, as the error handler (errors.ts) sets them. */
const ERROR_HEADERS: Partial<Record<number, Record<string, { type: string; description: string }>>> = {
  401: {
    'WWW-Authenticate': {
      type: 'string',
      description: 'Bearer realm="seatstream", with error="invalid_token" when the credential sent was refused',
    },
  },
  405: { Allow: { type: 'string', description: 'The methods the path takes' } },
  429: { 'Retry-After': { type: 'integer', description: 'Seconds until trying again helps' } },
  503: { 'Retry-After': { type: 'integer', description: 'Seconds until trying again helps' } },
};

/**
 * The error answers a route can give, by status: each the error body, described by the codes it
 * may carry (an unexpected failure, 500 INTERNAL, is possible everywhere).
 */
export function refusals(...codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set<ErrorCode>([...codes, 'INTERNAL'])) {
    const { status } = ERRORS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<number, object> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    const headers = ERROR_HEADERS[status];
    responses[status] = {
      description: list.join(', '),
      ...(headers && { headers }),
      $ref: `${ERROR_BODY_ID}#`,
    };
  }
  return responses;
}

/** What a body can be refused for before the route sees it. */
export const BODY_REFUSALS = ['BAD_REQUEST', 'INVALID_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'] as const;

/** A change (any method but GET) with a credential: its body, who asks, the limits, a cookie's Origin. */
export const CHANGE_REFUSALS = [...BODY_REFUSALS, 'UNAUTHORIZED', 'BAD_ORIGIN', 'RATE_LIMITED'] as const;

/** A service route: no or a bad credential, a buyer's, too many failed tries, an unreachable store. */
export const SERVICE_REFUSALS = ['UNAUTHORIZED', 'FORBIDDEN', 'RATE_LIMITED', 'UNAVAILABLE'] as const;

/** An answer without a body (204, 304). */
export function noBody(description: string) {
  return { description, type: 'null' } as const;
}

/** A stream route's 200: `text/event-stream`, written by the SSE adapter, never by a serializer. */
export const eventStream = {
  description: 'Server-Sent Events (docs/api.md); refusals before the stream opens are JSON',
  content: { 'text/event-stream': { schema: { type: 'string' } } },
} as const;

const seatStatus = { type: 'string', enum: ['AVAILABLE', 'HELD', 'RESERVED'] } as const;
const eventId = { type: 'string', description: 'offset@epoch', examples: ['4@w226smx0'] } as const;
const isoTime = { type: 'string', format: 'date-time' } as const;

/** A seat as answers show it: public fields, and the caller's own marks or the holder (the service). */
const seat = {
  type: 'object',
  required: ['id', 'row', 'number', 'status'],
  properties: {
    id: { type: 'integer' },
    row: { type: 'string' },
    number: { type: 'integer' },
    status: seatStatus,
    mine: { type: 'boolean', description: "A buyer's own held or reserved seat" },
    expiresAt: { ...isoTime, description: "A buyer's own hold: when it expires" },
    holder: { type: 'string', description: 'The service: who holds or reserved the seat' },
  },
} as const;

/** `GET …/seats`. */
export const seatList = { description: 'The seat map', type: 'array', items: seat } as const;

/** Hold, release, reserve, the demo checkout: the requested seats after the change. */
export const seatChange = {
  description: 'The requested seats after the change',
  type: 'object',
  // eventId and events are always sent too, after the optional expiresAt (see above).
  required: ['scheduleId', 'status', 'seats'],
  properties: {
    scheduleId: { type: 'integer' },
    status: seatStatus,
    seats: { type: 'array', items: seat },
    expiresAt: { ...isoTime, description: 'Hold: the earliest expiry among the seats' },
    eventId,
    events: { type: 'integer', description: 'Events written, one per changed seat' },
  },
} as const;

/** A schedule and its layout, as the import's answer and the list show it. */
const scheduleLayout = {
  scheduleId: { type: 'integer' },
  rows: { type: 'integer' },
  seatsPerRow: { type: 'integer' },
  seats: { type: 'integer' },
} as const;

/** `PUT /api/schedules/:scheduleId`. */
export const scheduleImport = {
  type: 'object',
  required: ['scheduleId', 'rows', 'seatsPerRow', 'seats', 'outcome', 'reserved', 'eventId', 'events'],
  properties: {
    ...scheduleLayout,
    outcome: { type: 'string', enum: ['created', 'updated', 'unchanged'] },
    reserved: { type: 'array', items: { type: 'integer' }, description: 'Seats this import made RESERVED' },
    eventId,
    events: { type: 'integer' },
  },
} as const;

/** `GET /api/schedules`. */
export const scheduleList = {
  description: 'Every schedule, by id',
  type: 'object',
  required: ['schedules'],
  properties: {
    schedules: {
      type: 'array',
      items: {
        type: 'object',
        required: ['scheduleId', 'rows', 'seatsPerRow', 'seats', 'available', 'held', 'reserved', 'lastEventId'],
        properties: {
          ...scheduleLayout,
          available: { type: 'integer' },
          held: { type: 'integer' },
          reserved: { type: 'integer' },
          lastEventId: eventId,
        },
      },
    },
  },
} as const;

/** `POST /api/session`. */
export const guestSession = {
  description: 'The guest session (also set as the seatstream_session cookie)',
  type: 'object',
  required: ['userId', 'token', 'expiresAt'],
  properties: { userId: { type: 'string' }, token: { type: 'string' }, expiresAt: isoTime },
} as const;

/** `POST /api/users/:userId/notifications`. */
export const noticeAccepted = {
  description: 'The notice was appended to the user topic',
  type: 'object',
  required: ['eventId'],
  properties: { eventId },
} as const;

/** `/readyz`, ready (200) or not (503): its own body, not an error body. */
export const readiness = {
  type: 'object',
  required: ['status', 'accepting', 'backend', 'backendReady'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not ready'] },
    accepting: { type: 'boolean', description: 'False once shutdown began' },
    backend: { type: 'string', examples: ['memory', 'redis'] },
    backendReady: { type: 'boolean' },
  },
} as const;
