/**
 * Every error code the API answers with, its HTTP status and its default message: the one list
 * that the HTTP error mapping, the Redis scripts' error replies and the client's `ApiError` are
 * checked against. Bodies are always `{ error, message, ...details }`.
 */
export const ERRORS = {
  BAD_REQUEST: { status: 400, message: 'Bad request' },
  INVALID_JSON: { status: 400, message: 'The body is not valid JSON' },
  INVALID_LAST_EVENT_ID: { status: 400, message: 'Last-Event-ID must look like 42@k3x9' },
  UNAUTHORIZED: { status: 401, message: 'Start a session first: POST /api/session' },
  FORBIDDEN: { status: 403, message: 'This operation needs the service credential' },
  BAD_ORIGIN: { status: 403, message: 'A cookie-authenticated change must come from an allowed Origin' },
  NOT_YOUR_HOLD: { status: 403, message: 'Some seats are held by someone else' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  SCHEDULE_NOT_FOUND: { status: 404, message: 'No such schedule' },
  SEAT_NOT_FOUND: { status: 404, message: 'No such seat in this schedule' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'This path does not take this method; see the Allow header' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request did not arrive in time' },
  SEATS_UNAVAILABLE: { status: 409, message: 'Some seats are not available' },
  NOT_HELD: { status: 409, message: 'Some seats are not held by you' },
  HOLD_LIMIT: { status: 409, message: 'Holding these seats would exceed the limit of seats per user' },
  ADDRESS_HOLD_LIMIT: { status: 409, message: 'Your network address holds as many seats as it may in this schedule' },
  HOLD_COOLDOWN: { status: 409, message: 'You released these seats a moment ago; try again later' },
  ORDER_CONFLICT: { status: 409, message: 'This order id was used for other seats' },
  LAYOUT_CONFLICT: { status: 409, message: 'The schedule exists with another layout' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send the body as application/json' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; slow down' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large' },
  INTERNAL: { status: 500, message: 'Internal server error' },
  UNAVAILABLE: { status: 503, message: 'The seat store is unavailable; try again shortly' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as readonly ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}

/** The body of every error response, and of the `event: error` frame that ends a failed stream. */
export interface ErrorBody {
  error: ErrorCode;
  message: string;
  [detail: string]: unknown;
}
