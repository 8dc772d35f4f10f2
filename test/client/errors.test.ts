import { describe, expect, it } from 'vitest';
import { ApiError, apiErrorOf } from '../../src/client/index.js';

/** `apiErrorOf`: an error response becomes a typed ApiError, whoever wrote it (the API or a proxy). */
describe('apiErrorOf', () => {
  const headers = (init: Record<string, string>) => new Headers(init);

  it("takes the API's code, seats and retryAfter from the body", () => {
    const body = {
      error: 'HOLD_COOLDOWN',
      message: 'You released these seats a moment ago',
      seatIds: [4],
      retryAfter: 42,
    };
    const error = apiErrorOf(409, JSON.stringify(body));
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: 'HOLD_COOLDOWN', seatIds: [4], retryAfter: 42, conflict: true });
    expect(error.retryable).toBe(false);
  });

  it('the body wins over Retry-After; without it the header counts, in seconds or as a date', () => {
    const limited = JSON.stringify({ error: 'RATE_LIMITED', message: 'slow down', retryAfter: 7 });
    expect(apiErrorOf(429, limited, headers({ 'retry-after': '30' })).retryAfter).toBe(7);
    expect(apiErrorOf(429, '', headers({ 'retry-after': '30' }))).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfter: 30,
      retryable: true,
    });
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    const dated = apiErrorOf(503, '<html>busy</html>', headers({ 'retry-after': inTwoMinutes }));
    expect(dated.code).toBe('UNAVAILABLE');
    expect(dated.retryAfter).toBeGreaterThanOrEqual(118);
    expect(dated.retryAfter).toBeLessThanOrEqual(120);
    expect(apiErrorOf(503, '', headers({ 'retry-after': 'soon' })).retryAfter).toBeUndefined();
    expect(apiErrorOf(409, '{}').retryAfter).toBeUndefined();
  });

  it("a proxy's answer without the API's body still gets a code from its status", () => {
    expect(apiErrorOf(403, '<h1>Forbidden</h1>').code).toBe('FORBIDDEN');
    expect(apiErrorOf(405, '').code).toBe('METHOD_NOT_ALLOWED');
    expect(apiErrorOf(429, '').code).toBe('RATE_LIMITED');
    expect(apiErrorOf(502, '').code).toBe('UNAVAILABLE');
  });
});
