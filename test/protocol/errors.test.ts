import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StorageUnavailableError } from '../../src/bus/unavailable-error.js';
import { apiErrorOf } from '../../src/client/errors.js';
import { ApiError, toErrorBody } from '../../src/http/errors.js';
import { ERROR_CODES, ERRORS, isErrorCode } from '../../src/protocol/errors.js';
import { SeatError } from '../../src/seats/seat-error.js';

const LUA = resolve(import.meta.dirname, '../../src/backends/redis/lua');

/** Every code a Redis script refuses with: `{'err', 'CODE'`. */
function luaCodes(): Map<string, string> {
  const codes = new Map<string, string>();
  for (const file of readdirSync(LUA).filter((name) => name.endsWith('.lua'))) {
    for (const match of readFileSync(`${LUA}/${file}`, 'utf8').matchAll(/\{\s*'err'\s*,\s*'([^']*)'/g)) {
      codes.set(match[1]!, file);
    }
  }
  return codes;
}

describe('error codes: one list, and everyone names codes from it', () => {
  it('the list gives each code a 4xx or 5xx status and a message', () => {
    for (const code of ERROR_CODES) {
      expect(ERRORS[code].status, code).toBeGreaterThanOrEqual(400);
      expect(ERRORS[code].status, code).toBeLessThan(600);
      expect(ERRORS[code].message, code).not.toBe('');
    }
    expect(isErrorCode('SEATS_UNAVAILABLE')).toBe(true);
    expect(isErrorCode('TOO_LATE')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
  });

  it("the Redis scripts' refusals", () => {
    const codes = luaCodes();
    expect(codes.size).toBeGreaterThanOrEqual(6); // the scan finds them
    for (const [code, file] of codes) expect(isErrorCode(code), `${file}: ${code}`).toBe(true);
  });

  it('the HTTP error mapping, for every kind of error it maps', () => {
    const errors: unknown[] = [
      new ApiError('INVALID_LAST_EVENT_ID'),
      new StorageUnavailableError(new Error('down')),
      new SeatError('NOT_HELD', [3]),
      Object.assign(new Error('bad'), { validation: [{}] }),
      Object.assign(new Error('json'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY' }),
      Object.assign(new Error('big'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE' }),
      Object.assign(new Error('type'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' }),
      Object.assign(new Error('nope'), { statusCode: 404 }),
      Object.assign(new Error('wrong method'), { statusCode: 405 }),
      Object.assign(new Error('teapot'), { statusCode: 418 }),
      new Error('a bug'),
    ];
    const seen = errors.map((error) => {
      const { status, body } = toErrorBody(error);
      expect(isErrorCode(body.error), String(body.error)).toBe(true);
      if (body.error !== 'BAD_REQUEST') expect(status, body.error).toBe(ERRORS[body.error].status);
      return body.error;
    });
    expect(seen).toEqual([
      'INVALID_LAST_EVENT_ID',
      'UNAVAILABLE',
      'NOT_HELD',
      'BAD_REQUEST',
      'INVALID_JSON',
      'PAYLOAD_TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
      'NOT_FOUND',
      'METHOD_NOT_ALLOWED',
      'BAD_REQUEST',
      'INTERNAL',
    ]);
  });

  it("the client's ApiError, when the body names no code", () => {
    for (let status = 400; status < 600; status++) {
      const code = apiErrorOf(status, '<html>proxy error</html>').code;
      expect(isErrorCode(code), `${status}: ${code}`).toBe(true);
    }
    expect(apiErrorOf(409, '{"error":"HOLD_LIMIT","message":"m"}').code).toBe('HOLD_LIMIT');
  });
});
