import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { SseClient } from '../support/sse-client.js';
import { eventually, get, hold, newGuest, startServer, type TestServer } from '../support/server.js';

const SECRET_A = 'session-secret-a-0123456789abcdefghijkl';
const SECRET_B = 'session-secret-b-0123456789abcdefghijkl';
const ADMIN = 'test-admin-token-0123456789';
const JWT_SECRET = 'operator-jwt-secret-0123456789abcdef';
const METRICS_TOKEN = 'test-metrics-token-0123456789';

/** Servers started by a test; all closed after it. */
const servers: TestServer[] = [];
async function server(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const started = await startServer(...args);
  servers.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** `name=value` of the session cookie a response sets, and its attributes. */
function sessionCookie(response: Response): { pair: string; value: string; attributes: string[] } {
  const cookies = response.headers.getSetCookie().filter((c) => c.startsWith('seatstream_session='));
  expect(cookies).toHaveLength(1);
  const [pair, ...attributes] = cookies[0]!.split(';').map((part) => part.trim());
  return { pair: pair!, value: decodeURIComponent(pair!.slice('seatstream_session='.length)), attributes };
}

function holdWith(url: string, headers: Record<string, string>, seatIds: number[]): Promise<Response> {
  return fetch(`${url}/api/schedules/1/seats/hold`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ seatIds }),
  });
}

describe('sessions', () => {
  it('POST /api/session sets an HttpOnly, SameSite=Lax cookie and returns { userId, token, expiresAt }', async () => {
    const { url } = await server();
    const before = Date.now();
    const response = await fetch(`${url}/api/session`, { method: 'POST' });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(Object.keys(body).sort()).toEqual(['expiresAt', 'token', 'userId']);
    expect(body.userId).toEqual(expect.any(String));
    expect(body.userId.length).toBeGreaterThan(0);
    expect(body.token.startsWith(`${body.userId}.`)).toBe(true);
    const expiresAt = Date.parse(body.expiresAt);
    expect(expiresAt).toBeGreaterThan(before);

    const cookie = sessionCookie(response);
    expect(cookie.value).toBe(body.token);
    const attributes = cookie.attributes.map((a) => a.toLowerCase());
    expect(attributes).toContain('httponly');
    expect(attributes).toContain('samesite=lax');
    expect(attributes).toContain('path=/');
    expect(attributes).not.toContain('secure'); // plain http here
  });

  it('authenticates a hold with the cookie from the page’s own origin, and marks the holder’s seats mine', async () => {
    const { url } = await server();
    const response = await fetch(`${url}/api/session`, { method: 'POST' });
    const { userId } = await response.json();
    const { pair } = sessionCookie(response);

    // A cookie travels with any site's request: a change made with it must say it comes from here.
    for (const origin of [undefined, 'https://evil.example', url.replace('127.0.0.1', 'localhost')]) {
      const refused = await holdWith(url, { cookie: pair, ...(origin && { origin }) }, [7]);
      expect([origin, refused.status]).toEqual([origin, 403]);
      expect(await refused.json()).toMatchObject({ error: 'BAD_ORIGIN' });
    }
    expect((await get(url, '/api/schedules/1/seats')).body[6]).toMatchObject({ id: 7, status: 'AVAILABLE' });
    const held = await holdWith(url, { cookie: pair, origin: url }, [7]);
    expect(held.status).toBe(200);
    expect(await held.json()).toMatchObject({ status: 'HELD', seats: [{ id: 7, status: 'HELD', mine: true }] });
    const seats = await get(url, '/api/schedules/1/seats', { cookie: pair });
    expect(seats.body[6]).toMatchObject({ id: 7, status: 'HELD', mine: true });
    expect((await get(url, '/api/schedules/1/seats')).body[6]).toEqual({ id: 7, row: 'A', number: 7, status: 'HELD' });
    expect(userId).toEqual(expect.any(String));
  });

  it('keeps the same guest when POST /api/session comes again with a valid cookie', async () => {
    const { url } = await server();
    const first = await fetch(`${url}/api/session`, { method: 'POST' });
    const firstBody = await first.json();
    const { pair } = sessionCookie(first);
    const again = await fetch(`${url}/api/session`, { method: 'POST', headers: { cookie: pair } });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(firstBody);
  });

  it('starts a new guest when POST /api/session brings a forged cookie', async () => {
    const { url } = await server();
    const victim = await newGuest(url);
    const forged = `${victim.userId}.${Number(victim.token.split('.')[1]) + 60}.${victim.token.split('.')[2]}`;
    const response = await fetch(`${url}/api/session`, {
      method: 'POST',
      headers: { cookie: `seatstream_session=${forged}` },
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.userId).not.toBe(victim.userId);
    expect(sessionCookie(response).value).toBe(body.token);
  });

  it('refuses a token signed with another SESSION_SECRET', async () => {
    const a = await server({ sessionSecret: SECRET_A });
    const b = await server({ sessionSecret: SECRET_B });
    const guest = await newGuest(a.url);
    const refused = await hold(b.url, guest, [1]);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: 'UNAUTHORIZED' });
    const cookie = `seatstream_session=${guest.token}`;
    expect((await holdWith(b.url, { cookie, origin: b.url }, [1])).status).toBe(401);
    expect((await hold(a.url, guest, [1])).status).toBe(200);
  });

  it('accepts each other’s tokens on two servers sharing SESSION_SECRET', async () => {
    const a = await server({ sessionSecret: SECRET_A });
    const b = await server({ sessionSecret: SECRET_A });
    const fromA = await newGuest(a.url);
    const fromB = await newGuest(b.url);
    const onB = await hold(b.url, fromA, [1]);
    expect(onB.status).toBe(200);
    expect(onB.body.seats).toEqual([expect.objectContaining({ id: 1, mine: true })]);
    expect((await hold(a.url, fromB, [2])).status).toBe(200);
    // The cookie path too, and the guest stays the same guest on the other server.
    const again = await fetch(`${b.url}/api/session`, {
      method: 'POST',
      headers: { cookie: `seatstream_session=${fromA.token}` },
    });
    expect((await again.json()).userId).toBe(fromA.userId);
  });

  it('DELETE /api/session logs out: 204, the cookie cleared, the token refused from then on', async () => {
    const { url } = await server({ sessionSecret: SECRET_A });
    const guest = await newGuest(url);
    const other = await newGuest(url);
    expect((await hold(url, guest, [1])).status).toBe(200);
    const response = await fetch(`${url}/api/session`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${guest.token}` },
    });
    expect(response.status).toBe(204);
    const cleared = sessionCookie(response);
    expect(cleared.value).toBe('');
    expect(cleared.attributes.map((a) => a.toLowerCase())).toContain('path=/');
    const refused = await hold(url, guest, [2]);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: 'UNAUTHORIZED' });
    // Coming back with the old cookie starts a new guest; the other guest is untouched.
    const again = await fetch(`${url}/api/session`, {
      method: 'POST',
      headers: { cookie: `seatstream_session=${guest.token}` },
    });
    expect((await again.json()).userId).not.toBe(guest.userId);
    expect((await hold(url, other, [2])).status).toBe(200);
  });

  it('GUEST_SESSIONS=off: no POST /api/session (404), and guest tokens are refused', async () => {
    const on = await server({ sessionSecret: SECRET_A });
    const off = await server({ sessionSecret: SECRET_A, guestSessions: false });
    const guest = await newGuest(on.url);
    const response = await fetch(`${off.url}/api/session`, { method: 'POST' });
    expect(response.status).toBe(404);
    expect(response.headers.getSetCookie()).toEqual([]);
    const refused = await hold(off.url, guest, [1]);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: 'UNAUTHORIZED' });
  });
});

describe('admin routes', () => {
  /** `token` null: no Authorization header at all. */
  function put(
    url: string,
    scheduleId: number | string,
    body: unknown,
    token: string | null = ADMIN,
  ): Promise<Response> {
    return fetch(`${url}/api/schedules/${scheduleId}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...(token !== null && { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(body),
    });
  }

  it('refuse every bearer (401) without an ADMIN_TOKEN or service JWT configured, and create nothing', async () => {
    const { url } = await server();
    for (const token of [ADMIN, null]) {
      const response = await put(url, 5, { rows: 3, seatsPerRow: 4 }, token);
      expect([token, response.status]).toEqual([token, 401]);
      expect(await response.json()).toMatchObject({ error: 'UNAUTHORIZED' });
    }
    expect((await get(url, '/api/schedules/5/seats')).status).toBe(404);
  });

  it('refuses a missing or wrong bearer with 401 and creates nothing', async () => {
    const { url } = await server({ adminToken: ADMIN });
    for (const token of [null, '', 'wrong', ADMIN.slice(0, -1), `${ADMIN}x`, ADMIN.toUpperCase()]) {
      const response = await put(url, 5, { rows: 3, seatsPerRow: 4 }, token);
      expect([token, response.status]).toEqual([token, 401]);
      expect(await response.json()).toMatchObject({ error: 'UNAUTHORIZED', message: expect.any(String) });
    }
    // A buyer is known, but this is not its act.
    const guest = await newGuest(url);
    const buyer = await put(url, 5, { rows: 3, seatsPerRow: 4 }, guest.token);
    expect(buyer.status).toBe(403);
    expect(await buyer.json()).toMatchObject({ error: 'FORBIDDEN' });
    expect((await get(url, '/api/schedules/5/seats')).status).toBe(404);
  });

  it('accept an operator JWT whose role claim says service, and refuse a buyer’s JWT (403)', async () => {
    const { url } = await server({ authJwtSecret: JWT_SECRET });
    const jwt = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('backoffice')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(JWT_SECRET));
    const buyer = await put(url, 5, { rows: 3, seatsPerRow: 4 }, await jwt({ role: 'buyer' }));
    expect(buyer.status).toBe(403);
    expect((await get(url, '/api/schedules/5/seats')).status).toBe(404);
    expect((await put(url, 5, { rows: 3, seatsPerRow: 4 }, await jwt({ role: 'service' }))).status).toBe(201);
    expect((await get(url, '/api/schedules/5/seats')).body).toHaveLength(12);
  });

  it('creates a schedule (201), accepts the same layout again (200), refuses another layout (409)', async () => {
    const { url } = await server({ adminToken: ADMIN });
    const created = await put(url, 5, { rows: 3, seatsPerRow: 4 });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ scheduleId: 5, rows: 3, seatsPerRow: 4, seats: 12 });

    const { status, body: seats, headers } = await get(url, '/api/schedules/5/seats');
    expect(status).toBe(200);
    expect(seats).toHaveLength(12);
    expect([...new Set(seats.map((s: { row: string }) => s.row))]).toEqual(['A', 'B', 'C']);
    expect(seats[0]).toEqual({ id: 1, row: 'A', number: 1, status: 'AVAILABLE' });
    expect(seats[11]).toEqual({ id: 12, row: 'C', number: 4, status: 'AVAILABLE' });

    const same = await put(url, 5, { rows: 3, seatsPerRow: 4 });
    expect(same.status).toBe(200);
    const conflict = await put(url, 5, { rows: 4, seatsPerRow: 3 });
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ error: 'LAYOUT_CONFLICT', message: expect.any(String) });
    const after = await get(url, '/api/schedules/5/seats');
    expect(after.body).toEqual(seats);
    expect(after.headers.get('last-event-id')).toBe(headers.get('last-event-id'));
  });

  it('labels rows past Z as AA, AB, ...', async () => {
    const { url } = await server({ adminToken: ADMIN });
    expect((await put(url, 6, { rows: 28, seatsPerRow: 2 })).status).toBe(201);
    const { body: seats } = await get(url, '/api/schedules/6/seats');
    expect(seats).toHaveLength(56);
    const rows = [...new Set(seats.map((s: { row: string }) => s.row))];
    expect(rows.slice(24)).toEqual(['Y', 'Z', 'AA', 'AB']);
    expect(seats[50]).toEqual({ id: 51, row: 'Z', number: 1, status: 'AVAILABLE' });
    expect(seats[52]).toEqual({ id: 53, row: 'AA', number: 1, status: 'AVAILABLE' });
    expect(seats[54]).toEqual({ id: 55, row: 'AB', number: 1, status: 'AVAILABLE' });
    expect(seats[55]).toEqual({ id: 56, row: 'AB', number: 2, status: 'AVAILABLE' });
  });

  it('makes a new schedule usable at once: holds and its event stream', async () => {
    const { url } = await server({ adminToken: ADMIN });
    expect((await put(url, 7, { rows: 1, seatsPerRow: 3 })).status).toBe(201);
    const viewer = await SseClient.connect(`${url}/api/schedules/7/seats/events`);
    const guest = await newGuest(url);
    expect((await hold(url, guest, [3], 7)).status).toBe(200);
    expect((await hold(url, guest, [4], 7)).body).toMatchObject({ error: 'SEAT_NOT_FOUND', seatIds: [4] });
    await viewer.waitForSeatEvents(1);
    expect(viewer.seatEvents()).toEqual([
      expect.objectContaining({ scheduleId: 7, scheduleSeatId: 3, status: 'HELD' }),
    ]);
    viewer.close();
  });

  it.each([
    ['more than 100000 seats', { rows: 101, seatsPerRow: 1000 }],
    ['a non-integer row count', { rows: 2.5, seatsPerRow: 4 }],
    ['rows as a string', { rows: '3', seatsPerRow: 4 }],
    ['zero rows', { rows: 0, seatsPerRow: 4 }],
    ['negative seats per row', { rows: 3, seatsPerRow: -4 }],
    ['more rows than A..ZZ', { rows: 703, seatsPerRow: 1 }],
    ['a missing seatsPerRow', { rows: 3 }],
    ['an extra property', { rows: 3, seatsPerRow: 4, name: 'x' }],
  ])('refuses %s with 400 and creates nothing', async (_what, body) => {
    const { url } = await server({ adminToken: ADMIN });
    const response = await put(url, 8, body);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'BAD_REQUEST', message: expect.any(String) });
    expect((await get(url, '/api/schedules/8/seats')).status).toBe(404);
  });

  it('accepts exactly 100000 seats', async () => {
    const { url } = await server({ adminToken: ADMIN });
    expect((await put(url, 9, { rows: 100, seatsPerRow: 1000 })).status).toBe(201);
    const { body: seats } = await get(url, '/api/schedules/9/seats');
    expect(seats).toHaveLength(100_000);
  });

  it('refuses a malformed schedule id with 400', async () => {
    const { url } = await server({ adminToken: ADMIN });
    for (const id of ['abc', '0', '-1', '2147483648']) {
      const response = await put(url, id, { rows: 1, seatsPerRow: 1 });
      expect([id, response.status]).toEqual([id, 400]);
    }
  });
});

describe('operations', () => {
  it('/healthz answers 200 { status: "ok" }', async () => {
    const { url } = await server();
    const response = await get(url, '/healthz');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('/readyz answers 200 while accepting', async () => {
    const { url } = await server();
    const response = await get(url, '/readyz');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'ready', accepting: true });
  });

  it('/metrics exists only with a METRICS_TOKEN, and answers only to it', async () => {
    const off = await server();
    expect((await get(off.url, '/metrics', { authorization: `Bearer ${METRICS_TOKEN}` })).status).toBe(404);
    const { url } = await server({ metricsToken: METRICS_TOKEN, adminToken: ADMIN });
    for (const token of [undefined, '', 'wrong', ADMIN, `${METRICS_TOKEN}x`]) {
      const response = await get(url, '/metrics', token === undefined ? {} : { authorization: `Bearer ${token}` });
      expect([token, response.status]).toEqual([token, 401]);
      expect(response.body).toMatchObject({ error: 'UNAUTHORIZED' });
    }
  });

  it('/metrics exposes seatstream_sse_connections counting open streams', async () => {
    const { url } = await server({ metricsToken: METRICS_TOKEN });
    const metrics = async () => {
      const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      return response.text();
    };
    expect(await metrics()).toMatch(/^seatstream_sse_connections 0$/m);
    const client = await SseClient.connect(`${url}/api/schedules/1/seats/events`);
    await eventually(async () => expect(await metrics()).toMatch(/^seatstream_sse_connections 1$/m));
    client.close();
    await eventually(async () => expect(await metrics()).toMatch(/^seatstream_sse_connections 0$/m));
  });
});
