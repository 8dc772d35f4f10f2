import type { FastifyError, FastifyInstance } from 'fastify';
import { StorageUnavailableError } from '../bus/unavailable-error.js';
import { SeatError, type SeatErrorCode } from '../seats/seat-error.js';

/**
 * Every error the API answers with, in one place: a status code and a stable `error` code that
 * clients can switch on. Bodies are always `{ error, message, ...details }`.
 */
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  INVALID_JSON: 400,
  INVALID_LAST_EVENT_ID: 400,
  UNAUTHORIZED: 401,
  NOT_YOUR_HOLD: 403,
  NOT_FOUND: 404,
  SCHEDULE_NOT_FOUND: 404,
  SEAT_NOT_FOUND: 404,
  SEATS_UNAVAILABLE: 409,
  NOT_HELD: 409,
  HOLD_LIMIT: 409,
  LAYOUT_CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const satisfies Record<SeatErrorCode | string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class ApiError extends Error {
  override name = 'ApiError';
  readonly statusCode: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.statusCode = ERROR_STATUS[code];
  }
}

export interface ErrorBody {
  error: ErrorCode;
  message: string;
  [detail: string]: unknown;
}

/** Maps anything thrown by a route (domain, validation, parser, bug) to a status and a body. */
export function toErrorBody(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof ApiError) {
    return { status: error.statusCode, body: { error: error.code, message: error.message, ...error.details } };
  }
  if (error instanceof StorageUnavailableError) {
    return { status: 503, body: { error: 'UNAVAILABLE', message: 'The seat store is unavailable; try again shortly' } };
  }
  if (error instanceof SeatError) {
    const details = error.seatIds.length > 0 ? { seatIds: error.seatIds } : {};
    return { status: ERROR_STATUS[error.code], body: { error: error.code, message: error.message, ...details } };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    return { status: 400, body: { error: 'BAD_REQUEST', message: fastifyError.message ?? 'Invalid request' } };
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: { error: 'INVALID_JSON', message: 'The body is not valid JSON' } };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { error: 'PAYLOAD_TOO_LARGE', message: 'The body is too large' } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: { error: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send the body as application/json' } };
  }
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return {
      status,
      body: { error: status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST', message: fastifyError.message ?? 'Bad request' },
    };
  }
  return { status: 500, body: { error: 'INTERNAL', message: 'Internal server error' } };
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toErrorBody(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .send({ error: 'NOT_FOUND', message: `No route for ${request.method} ${request.url.split('?')[0]}` });
  });
}
