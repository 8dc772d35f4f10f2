import { type ErrorBody, type ErrorCode, isErrorCode } from '../protocol/errors.js';

/**
 * A request the server answered with a status other than the one expected: its status and body
 * (the API's `{ error, message, ...details }`, or whatever came when it is not that), so a test
 * can assert on either.
 */
export class SeatstreamApiError extends Error {
  override name = 'SeatstreamApiError';
  /** The body's `error` when it is one of the API's codes (ERRORS in src/protocol/errors.ts). */
  readonly code: ErrorCode | undefined;

  constructor(
    /** `POST /api/schedules/1/seats/hold`, as sent. */
    readonly request: string,
    readonly status: number,
    /** The parsed JSON body; the text when it is not JSON. */
    readonly body: unknown,
  ) {
    const code = isErrorCode((body as { error?: unknown } | undefined)?.error) ? (body as ErrorBody).error : undefined;
    const detail = code ? `${code}: ${(body as ErrorBody).message}` : JSON.stringify(body);
    super(`${request} answered ${status} ${detail}`);
    this.code = code;
  }
}
