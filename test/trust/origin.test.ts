import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUEST_COOKIE } from '../../src/http/authenticate.js';
import { newGuest, startServer, type TestServer } from '../support/server.js';
import { bearer, call } from '../support/trust.js';

const ALLOWED = 'https://tickets.example';

/** A change made with a cookie must come from the page's own origin or an allowed one. */
describe('cookie-authenticated changes and Origin', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ corsOrigins: [ALLOWED] });
  });
  afterAll(() => server.close());

  const seat = async (id: number) => {
    const seats = await call(server.url, '/api/schedules/1/seats');
    return { status: seats.body[id - 1].status, head: seats.headers.get('last-event-id') };
  };
  const withCookie = (token: string, origin?: string) => ({
    cookie: `${GUEST_COOKIE}=${token}`,
    ...(origin !== undefined && { origin }),
  });
  const holdOne = (id: number, headers: Record<string, string>) =>
    call(server.url, '/api/schedules/1/seats/hold', { method: 'POST', body: { seatIds: [id] }, headers });

  it.each([
    ['a foreign Origin', 'https://evil.example'],
    ['Origin: null', 'null'],
    ['no Origin at all', undefined],
    ['our host on another scheme', 'https://127.0.0.1'],
  ])('cookie + %s → 403 BAD_ORIGIN, and nothing changes', async (_what, origin) => {
    const guest = await newGuest(server.url);
    const before = await seat(3);
    const refused = await holdOne(3, withCookie(guest.token, origin));
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('BAD_ORIGIN');
    expect(await seat(3)).toEqual(before);
  });

  it('cookie + foreign Origin cannot release the cookie holder’s seat either', async () => {
    const guest = await newGuest(server.url);
    expect((await holdOne(4, bearer(guest.token))).status).toBe(200);
    const before = await seat(4);
    const refused = await call(server.url, '/api/schedules/1/seats/release', {
      method: 'POST',
      body: { seatIds: [4] },
      headers: withCookie(guest.token, 'https://evil.example'),
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('BAD_ORIGIN');
    expect(await seat(4)).toEqual(before);
  });

  it('cookie + a foreign Origin cannot log the cookie holder out', async () => {
    const guest = await newGuest(server.url);
    const refused = await call(server.url, '/api/session', {
      method: 'DELETE',
      headers: withCookie(guest.token, 'https://evil.example'),
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('BAD_ORIGIN');
    expect((await holdOne(6, bearer(guest.token))).status).toBe(200);
  });

  it('cookie + our own Origin → 200', async () => {
    const guest = await newGuest(server.url);
    const held = await holdOne(1, withCookie(guest.token, server.url));
    expect(held.status).toBe(200);
    expect((await seat(1)).status).toBe('HELD');
  });

  it('cookie + an origin in CORS_ORIGINS → 200', async () => {
    const guest = await newGuest(server.url);
    expect((await holdOne(2, withCookie(guest.token, ALLOWED))).status).toBe(200);
  });

  it('a bearer token needs no Origin (a browser cannot send it cross-site without CORS)', async () => {
    const guest = await newGuest(server.url);
    expect((await holdOne(5, { ...bearer(guest.token), origin: 'https://evil.example' })).status).toBe(200);
  });
});
