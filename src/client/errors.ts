import type { ErrorCode } from '../protocol/errors.js';

/** Every error the client throws. */
export class SeatstreamError extends Error {
  override name = 'SeatstreamError';
}

/** An error code of the API (`protocol/errors.ts`); unknown codes from a newer server pass through as strings. */
export type ApiErrorCode = ErrorCode | (string & {});

/** The server answered with an error status and (usually) a `{ error, message, ...details }` body. */
export class ApiError extends SeatstreamError {
  override name = 'ApiError';
  /** The seats the server refused (seat refusals: SEATS_UNAVAILABLE, NOT_HELD, NOT_YOUR_HOLD, …). */
  readonly seatIds: number[];
  /** The unknown schedule of a SCHEDULE_NOT_FOUND on a stream route. */
  readonly scheduleId: number | undefined;
  /**
   * Seconds until trying again makes sense: HOLD_COOLDOWN and RATE_LIMITED say it in the body,
   * a 429 or 503 (also a proxy's, without the API's body) in the `Retry-After` header.
   */
  readonly retryAfter: number | undefined;

  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly body: Record<string, unknown> = {},
    retryAfterHeader?: string | null,
  ) {
    super(message);
    this.seatIds = Array.isArray(body.seatIds) ? body.seatIds.filter((id): id is number => typeof id === 'number') : [];
    this.scheduleId = typeof body.scheduleId === 'number' ? body.scheduleId : undefined;
    this.retryAfter =
      typeof body.retryAfter === 'number' && Number.isFinite(body.retryAfter) && body.retryAfter >= 0
        ? body.retryAfter
        : parseRetryAfter(retryAfterHeader);
  }

  /**
   * Worth retrying as is (after `retryAfter` seconds when given): the seat store was unavailable
   * (503), the server failed (5xx), or too many requests (429).
   */
  get retryable(): boolean {
    return this.status >= 500 || this.status === 429;
  }

  /** The request conflicted with the seats' current state (409): refresh, pick other seats. */
  get conflict(): boolean {
    return this.status === 409;
  }
}

/** The request never got an answer: server unreachable, connection dropped, aborted. */
export class NetworkError extends SeatstreamError {
  override name = 'NetworkError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The server answered, but not with what the API promises (e.g. a proxy's HTML error page). */
export class ProtocolError extends SeatstreamError {
  override name = 'ProtocolError';
}

/** Builds the error for a non-2xx response from its status, body text and (for `Retry-After`) headers. */
export function apiErrorOf(status: number, text: string, headers?: { get(name: string): string | null }): ApiError {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    // not JSON: a proxy's error page, an empty 502
  }
  const code = typeof body.error === 'string' ? body.error : fallbackCode(status);
  const message = typeof body.message === 'string' ? body.message : `HTTP ${status}`;
  return new ApiError(status, code, message, body, headers?.get('Retry-After'));
}

/** `Retry-After` is delay-seconds or an HTTP date (RFC 9110 §10.2.3); seconds from now either way. */
function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

function fallbackCode(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 405) return 'METHOD_NOT_ALLOWED';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 503 || status === 502 || status === 504) return 'UNAVAILABLE';
  if (status >= 500) return 'INTERNAL';
  return 'BAD_REQUEST';
}

/**
 * The server ended a stream with an `event: error` frame (`UNAVAILABLE` when Redis could not be
 * read, `INTERNAL`). The client reconnects after a backoff; this is for display and logs.
 */
export class StreamError extends SeatstreamError {
  override name = 'StreamError';

  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}
