import { STATUS_CODES } from 'node:http';
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

/** What a framework or plugin error's status means in the API's codes. */
const CODE_OF_STATUS: Record<number, ErrorCode> = {
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
};

/** Maps anything thrown by a route (domain, validation, parser, bug) to a status and a body. */
export function toErrorBody(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof ApiError) return body(error.code, error.message, error.details);
  if (error instanceof StorageUnavailableError) return body('UNAVAILABLE');
  if (error instanceof SeatError) {
    const details = {
      ...(error.seatIds.length > 0 && { seatIds: error.seatIds }),
      ...(error.retryAfterMs !== undefined && { retryAfter: Math.ceil(error.retryAfterMs / 1000) }),
    };
    return body(error.code, error.message, details);
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
    const code = CODE_OF_STATUS[status] ?? 'BAD_REQUEST';
    return { status, body: { error: code, message: fastifyError.message ?? ERRORS[code].message } };
  }
  return body('INTERNAL');
}

/** Errors in the API's JSON shape, with `Retry-After` where coming back later helps. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toErrorBody(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    // When to come back: the limit's window, or a second for a store that is coming back.
    const retryAfter = typeof body.retryAfter === 'number' ? body.retryAfter : status === 503 ? 1 : undefined;
    if (retryAfter !== undefined) void reply.header('Retry-After', String(retryAfter));
    void reply.status(status).send(body);
  });
}

/** The standalone server's answer for a route that does not exist (an embedding host keeps its own). */
export function installNotFoundHandler(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .send({ error: 'NOT_FOUND', message: `No route for ${request.method} ${request.url.split('?')[0]}` });
  });
}

/**
 * Errors Node's HTTP parser meets before fastify sees a request (headers too large, a request
 * that did not arrive within the timeouts, garbage), answered in the API's JSON error shape.
 */
export function clientErrorResponse(error: NodeJS.ErrnoException): string {
  const code: ErrorCode =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'HEADERS_TOO_LARGE'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'REQUEST_TIMEOUT'
        : 'BAD_REQUEST';
  const { status, body: json } = body(code);
  const text = JSON.stringify(json);
  const head = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n`;
  return `${head}Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`;
}
