import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.js';
import { bearer, call, hs256, JWT_SECRET } from '../support/trust.js';

const SESSION_TTL_MS = 60_000;
const HOLD_TTL_MS = 300_000;

/**
 * A hold never outlives the session or token that made it: with a fake clock, holds made with a
 * credential that expires before HOLD_TTL end with it; one made with a longer credential does not.
 */
describe('a hold ends with its credential', () => {
  let server: TestServer;
  const start = Date.now();
  let now = start;
  beforeAll(async () => {
    server = await startServer(
      { rateLimits: true, guestSessionTtlMs: SESSION_TTL_MS, holdTtlMs: HOLD_TTL_MS, authJwtSecret: JWT_SECRET },
      { clock: () => now },
    );
  });
  afterAll(() => server.close());

  const holdWith = (token: string, seatIds: number[]) =>
    call(server.url, '/api/schedules/1/seats/hold', { method: 'POST', body: { seatIds }, headers: bearer(token) });
  const statusOf = async (...ids: number[]) => {
    const seats = await call(server.url, '/api/schedules/1/seats');
    return ids.map((id) => seats.body[id - 1].status);
  };

  it('a guest session and a short JWT end their holds; a long JWT keeps its own until HOLD_TTL', async () => {
    const session = await call(server.url, '/api/session', { method: 'POST' });
    const sessionEnds = Date.parse(session.body.expiresAt);
    expect(sessionEnds).toBeLessThanOrEqual(Date.now() + SESSION_TTL_MS);

    const guestHold = await holdWith(session.body.token, [1]);
    expect(guestHold.status).toBe(200);
    expect(Date.parse(guestHold.body.expiresAt)).toBe(sessionEnds);

    const shortJwt = await hs256({ sub: 'short' }, { expiresIn: Math.floor(start / 1000) + 60 });
    const shortHold = await holdWith(shortJwt, [2]);
    expect(shortHold.status).toBe(200);
    expect(Date.parse(shortHold.body.expiresAt)).toBe((Math.floor(start / 1000) + 60) * 1000);

    const longHold = await holdWith(await hs256({ sub: 'long' }, { expiresIn: '1h' }), [3]);
    expect(Date.parse(longHold.body.expiresAt)).toBe(start + HOLD_TTL_MS);

    now = start + 55_000; // before either credential ends: nothing is due
    expect(await server.app.seatstream.seats.expireDue()).toBe(0);
    expect(await statusOf(1, 2, 3)).toEqual(['HELD', 'HELD', 'HELD']);

    now = sessionEnds + 1_000; // both short credentials have ended, HOLD_TTL has not
    expect(await server.app.seatstream.seats.expireDue()).toBe(2);
    expect(await statusOf(1, 2, 3)).toEqual(['AVAILABLE', 'AVAILABLE', 'HELD']);

    now = start + HOLD_TTL_MS;
    expect(await server.app.seatstream.seats.expireDue()).toBe(1);
    expect(await statusOf(3)).toEqual(['AVAILABLE']);
  });
});
