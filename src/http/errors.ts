import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
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
    /** Headers the answer carries besides its body (a 401's challenge, a 405's Allow). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.statusCode = ERRORS[code].status;
  }
}

/**
 * The challenge of every 401 (RFC 6750): which scheme and realm to authenticate with, and, when a
 * credential was sent but refused, that this one will not do.
 */
export function bearerChallenge(refused: boolean): Record<string, string> {
  return { 'WWW-Authenticate': `Bearer realm="seatstream"${refused ? ', error="invalid_token"' : ''}` };
}

function body(code: ErrorCode, message: string = ERRORS[code].message, details: Record<string, unknown> = {}) {
  return { status: ERRORS[code].status, body: { error: code, message, ...details } satisfies ErrorBody };
}

/** What a framework or plugin error's status means in the API's codes. */
const CODE_OF_STATUS: Record<number, ErrorCode> = {
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
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

/**
 * Errors in the API's JSON shape, with `WWW-Authenticate` on a 401 and `Retry-After` on a 429 or
 * 503. Failures are logged as errors, except the store being unreachable: that is one outage,
 * not a bug in every request, so it is a warning once (see StoreOutage).
 */
export function installErrorHandler(app: FastifyInstance): void {
  const outage = new StoreOutage();
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toErrorBody(error);
    if (error instanceof StorageUnavailableError) outage.failed(request, error);
    else if (status >= 500) request.log.error({ err: error }, 'request failed');
    if (error instanceof ApiError) void reply.headers(error.headers);
    if (status === 401 && !reply.hasHeader('WWW-Authenticate')) void reply.headers(bearerChallenge(false));
    const retryAfter = retryAfterOf(status, body);
    if (retryAfter !== undefined) void reply.header('Retry-After', String(retryAfter));
    void reply.status(status).send(body);
  });
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode < 500) outage.answered(request);
  });
}

/**
 * When to come back (seconds): the window the body names (a limit, a cool-down), else a second for
 * a store that is coming back, or a limit's window (a minute) for a 429 that names none.
 */
function retryAfterOf(status: number, body: ErrorBody): number | undefined {
  if (typeof body.retryAfter === 'number') return body.retryAfter;
  if (status === 503) return 1;
  if (status === 429) return 60;
  return undefined;
}

/**
 * Logs a store outage once: a warning with the cause's message when the first request fails for
 * it, and nothing for the many that fail after it until the store is seen answering again — a
 * request answered below 500 while the backend says it is ready (one check at a time).
 */
class StoreOutage {
  private down = false;
  private checking = false;

  failed(request: FastifyRequest, error: StorageUnavailableError): void {
    if (this.down) return;
    this.down = true;
    const cause = error.cause instanceof Error ? error.cause.message : String(error.cause);
    request.log.warn({ cause }, 'the seat store is unreachable: answering 503 UNAVAILABLE until it is back');
  }

  answered(request: FastifyRequest): void {
    if (!this.down || this.checking) return;
    // Whose store: the seatstream context the plugin decorates its host with.
    const backend = request.server.seatstream?.backend;
    if (!backend) return;
    this.checking = true;
    void backend
      .isReady()
      .catch(() => false)
      .then((ready) => {
        this.checking = false;
        if (!ready || !this.down) return;
        this.down = false;
        request.log.info('the seat store answers again');
      });
  }
}

/** Methods a path may be asked with: HEAD comes with GET; OPTIONS is left to CORS (preflights). */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Of one path: the methods it has routes for, and those it takes (is documented to). */
export interface PathMethods {
  routed: Set<string>;
  allowed: Set<string>;
}

/** Records the methods of each route path, for the routes `app` gets from now on. */
export function trackMethods(app: FastifyInstance): Map<string, PathMethods> {
  const paths = new Map<string, PathMethods>();
  app.addHook('onRoute', (route) => {
    // A wildcard (the demo's files) is no one path: whatever it does not serve stays a 404.
    if (route.url.includes('*')) return;
    const methods = paths.get(route.url) ?? { routed: new Set<string>(), allowed: new Set<string>() };
    for (const method of [route.method].flat()) {
      methods.routed.add(method);
      // A hidden route (a switched-off one answering 404) is not a method the path takes.
      if (!route.schema?.hide) methods.allowed.add(method);
    }
    if (methods.allowed.has('GET')) methods.allowed.add('HEAD');
    paths.set(route.url, methods);
  });
  return paths;
}

/**
 * A known path asked with a method it does not take is a 405 naming the ones it does (`Allow`),
 * not a 404: one hidden route per path for the methods it lacks. Refused at onRequest, before a
 * body is read. Unknown paths stay the host's 404.
 */
export function answerOtherMethods(app: FastifyInstance, paths: Map<string, PathMethods>): void {
  for (const [url, { routed, allowed }] of [...paths]) {
    const allow = METHODS.filter((method) => allowed.has(method)).join(', ');
    const lacking = METHODS.filter((method) => !routed.has(method) && !allowed.has(method));
    if (allow === '' || lacking.length === 0) continue;
    app.route({
      method: lacking,
      url,
      exposeHeadRoute: false,
      schema: { hide: true },
      onRequest: async (request) => {
        const path = request.url.split('?')[0];
        throw new ApiError('METHOD_NOT_ALLOWED', `${path} takes ${allow}, not ${request.method}`, {}, { Allow: allow });
      },
      handler: async () => undefined,
    });
  }
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
