import type { FastifyError, FastifyInstance } from 'fastify';
import { StorageUnavailableError } from '../bus/unavailable-error.js';
import { ERRORS, type ErrorBody, type ErrorCode } from '../protocol/errors.js';
import { SeatError } from '../seats/seat-error.js';

/** An error a route throws on purpose, with a code of the protocol's list (protocol/errors.ts). */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly statusCode: number;

  constructor(
    readonly code: ErrorCode,
    message: string = ERRORS[code].message,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.statusCode = ERRORS[code].status;
  }
}

function body(code: ErrorCode, message: string = ERRORS[code].message, details: Record<string, unknown> = {}) {
  return { status: ERRORS[code].status, body: { error: code, message, ...details } satisfies ErrorBody };
}

/** Maps anything thrown by a route (domain, validation, parser, bug) to a status and a body. */
export function toErrorBody(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof ApiError) return body(error.code, error.message, error.details);
  if (error instanceof StorageUnavailableError) return body('UNAVAILABLE');
  if (error instanceof SeatError) {
    return body(error.code, error.message, error.seatIds.length > 0 ? { seatIds: error.seatIds } : {});
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) return body('BAD_REQUEST', fastifyError.message ?? 'Invalid request');
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return body('INVALID_JSON');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return body('PAYLOAD_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return body('UNSUPPORTED_MEDIA_TYPE');
  }
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    const code = status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST';
    return { status, body: { error: code, message: fastifyError.message ?? ERRORS[code].message } };
  }
  return body('INTERNAL');
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
