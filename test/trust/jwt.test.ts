import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JwksServer, startJwksServer } from '../support/jwks-server.js';
import { startServer, type TestServer } from '../support/server.js';
import { ADMIN, bearer, call, hs256, JWT_SECRET, unsigned } from '../support/trust.js';

const ISSUER = 'https://idp.example';
const AUDIENCE = 'seats';
const claims = (sub: string, extra: Record<string, unknown> = {}) => ({ sub, iss: ISSUER, aud: AUDIENCE, ...extra });

const holdWith = (server: TestServer, token: string, seatIds: number[]) =>
  call(server.url, '/api/schedules/1/seats/hold', { method: 'POST', body: { seatIds }, headers: bearer(token) });

describe('operator JWTs at the HTTP boundary (HS256)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      authJwtSecret: JWT_SECRET,
      authJwtIssuer: ISSUER,
      authJwtAudience: AUDIENCE,
      adminToken: ADMIN,
    });
  });
  afterAll(() => server.close());

  it('a valid token holds seats for its subject', async () => {
    const response = await holdWith(server, await hs256(claims('alice')), [1, 2]);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'HELD', events: 2 });
    const seats = await call(server.url, '/api/schedules/1/seats', { headers: bearer(await hs256(claims('alice'))) });
    expect(seats.body.filter((s: { mine?: boolean }) => s.mine).map((s: { id: number }) => s.id)).toEqual([1, 2]);
  });

  it.each([
    ['a bad signature', () => hs256(claims('mallory'), { secret: 'another-secret-long-enough-for-hs256-0123' })],
    ['an expired token', () => hs256(claims('mallory'), { expiresIn: Math.floor(Date.now() / 1000) - 60 })],
    ['a wrong issuer', () => hs256(claims('mallory', { iss: 'https://evil.example' }))],
    ['a wrong audience', () => hs256(claims('mallory', { aud: 'other' }))],
    ['alg none', async () => unsigned(claims('mallory'))],
  ])('%s is 401 and changes nothing', async (_what, token) => {
    const before = await call(server.url, '/api/schedules/1/seats');
    const response = await holdWith(server, await token(), [50]);
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('UNAUTHORIZED');
    const after = await call(server.url, '/api/schedules/1/seats');
    expect(after.headers.get('last-event-id')).toBe(before.headers.get('last-event-id'));
  });

  it('a service-role token reserves held seats on behalf of their holder; a buyer may not reserve', async () => {
    const bob = await hs256(claims('bob'));
    expect((await holdWith(server, bob, [10, 11])).status).toBe(200);
    const order = { seatIds: [10, 11], userId: 'bob', orderId: 'order-bob-1' };
    const asBuyer = await call(server.url, '/api/schedules/1/seats/reserve', {
      method: 'POST',
      body: order,
      headers: bearer(bob),
    });
    expect(asBuyer.status).toBe(403);
    expect(asBuyer.body.error).toBe('FORBIDDEN');

    const service = await hs256(claims('checkout', { role: 'service' }));
    const reserved = await call(server.url, '/api/schedules/1/seats/reserve', {
      method: 'POST',
      body: order,
      headers: bearer(service),
    });
    expect(reserved.status).toBe(200);
    expect(reserved.body).toMatchObject({ status: 'RESERVED', events: 2 });
    expect(reserved.body.seats.map((s: { holder: string }) => s.holder)).toEqual(['bob', 'bob']);
  });

  it('reserve is idempotent per order id: the same order again is 200 with no event, other seats 409', async () => {
    const carol = await hs256(claims('carol'));
    expect((await holdWith(server, carol, [20, 21, 22])).status).toBe(200);
    const reserve = (seatIds: number[]) =>
      call(server.url, '/api/schedules/1/seats/reserve', {
        method: 'POST',
        body: { seatIds, userId: 'carol', orderId: 'order-carol-1' },
        headers: bearer(ADMIN), // ADMIN_TOKEN is the service credential too
      });
    const first = await reserve([20, 21]);
    expect(first.status).toBe(200);
    expect(first.body.events).toBe(2);
    const again = await reserve([20, 21]);
    expect(again.status).toBe(200);
    expect(again.body.events).toBe(0);
    const other = await reserve([22]);
    expect(other.status).toBe(409);
    expect(other.body.error).toBe('ORDER_CONFLICT');
  });

  it('a buyer token is not the service credential for the schedule routes, ADMIN_TOKEN is', async () => {
    const layout = { rows: 2, seatsPerRow: 5 };
    const asBuyer = await call(server.url, '/api/schedules/77', {
      method: 'PUT',
      body: layout,
      headers: bearer(await hs256(claims('dave'))),
    });
    expect(asBuyer.status).toBe(403);
    const asAdmin = await call(server.url, '/api/schedules/77', {
      method: 'PUT',
      body: layout,
      headers: bearer(ADMIN),
    });
    expect(asAdmin.status).toBe(201);
  });
});

describe('operator JWTs at the HTTP boundary (JWKS)', () => {
  let jwks: JwksServer;
  let server: TestServer;
  beforeAll(async () => {
    jwks = await startJwksServer();
    server = await startServer({ authJwksUrl: jwks.url, authJwtIssuer: ISSUER, authJwtAudience: AUDIENCE });
  });
  afterAll(async () => {
    await server.close();
    await jwks.close();
  });

  it('RS256 and ES256 tokens signed by served keys hold seats', async () => {
    expect((await holdWith(server, await jwks.sign(claims('erin')), [1])).status).toBe(200);
    expect((await holdWith(server, await jwks.sign(claims('frank'), { alg: 'ES256' }), [2])).status).toBe(200);
    const seats = await call(server.url, '/api/schedules/1/seats');
    expect(seats.body.slice(0, 2).map((s: { status: string }) => s.status)).toEqual(['HELD', 'HELD']);
  });

  it.each([
    ['a key it does not serve', () => jwks.forge(claims('mallory'))],
    ['an HS256 token', () => hs256(claims('mallory'))],
    ['an expired token', () => jwks.sign(claims('mallory'), { expiresIn: Math.floor(Date.now() / 1000) - 60 })],
    ['a wrong issuer', () => jwks.sign(claims('mallory', { iss: 'https://evil.example' }))],
    ['a wrong audience', () => jwks.sign(claims('mallory', { aud: 'other' }))],
    ['alg none', async () => unsigned(claims('mallory'))],
  ])('%s is 401', async (_what, token) => {
    const response = await holdWith(server, await token(), [100]);
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('UNAUTHORIZED');
  });

  it('a service-role JWKS token reserves for the holder', async () => {
    const gina = await jwks.sign(claims('gina'));
    expect((await holdWith(server, gina, [30])).status).toBe(200);
    const reserved = await call(server.url, '/api/schedules/1/seats/reserve', {
      method: 'POST',
      body: { seatIds: [30], userId: 'gina', orderId: 'o-gina' },
      headers: bearer(await jwks.sign(claims('checkout', { role: 'service' }), { alg: 'ES256' })),
    });
    expect(reserved.status).toBe(200);
    expect(reserved.body.seats[0]).toMatchObject({ id: 30, status: 'RESERVED', holder: 'gina' });
  });
});
