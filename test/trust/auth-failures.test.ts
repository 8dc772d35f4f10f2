import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.js';
import { ADMIN, bearer, call, from } from '../support/trust.js';

const FAILURES = 4;

/** Failed service authentications are limited per client address; other addresses are unaffected. */
describe('failed service authentications', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const createSchedule = (id: number, headers: Record<string, string>) =>
    call(server!.url, `/api/schedules/${id}`, { method: 'PUT', body: { rows: 1, seatsPerRow: 5 }, headers });

  it(`after ${FAILURES} wrong tokens, the address is refused even with the right one; another is not`, async () => {
    server = await startServer({
      rateLimits: true,
      adminToken: ADMIN,
      authFailuresPerMinute: FAILURES,
      trustProxy: ['127.0.0.1'],
    });
    const attacker = from('192.0.2.66');
    for (let i = 0; i < FAILURES; i++) {
      const wrong = await createSchedule(10, { ...bearer(`${ADMIN.slice(0, -2)}${i}x`), ...attacker });
      expect(wrong.status).toBe(401);
    }
    const limited = await createSchedule(10, { ...bearer(ADMIN), ...attacker });
    expect(limited.status).toBe(429);
    expect(limited.body.error).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The reserve route is the service's too.
    const reserve = await call(server.url, '/api/schedules/1/seats/reserve', {
      method: 'POST',
      body: { seatIds: [1], userId: 'u', orderId: 'o-1' },
      headers: { ...bearer(ADMIN), ...attacker },
    });
    expect(reserve.status).toBe(429);
    expect((await call(server.url, '/api/schedules/10/seats')).status).toBe(404);

    const checkout = await createSchedule(10, { ...bearer(ADMIN), ...from('192.0.2.10') });
    expect(checkout.status).toBe(201);
  });

  it('no token at all counts as a failure too; successes do not', async () => {
    server = await startServer({ rateLimits: true, adminToken: ADMIN, authFailuresPerMinute: FAILURES });
    for (let i = 0; i < 10; i++) expect((await createSchedule(20 + i, bearer(ADMIN))).status).toBe(201);
    for (let i = 0; i < FAILURES; i++) expect((await createSchedule(40, {})).status).toBe(401);
    expect((await createSchedule(40, bearer(ADMIN))).status).toBe(429);
  });

  it('guesses sent to the release route (which takes the service token too) count and are refused', async () => {
    server = await startServer({ rateLimits: true, adminToken: ADMIN, authFailuresPerMinute: FAILURES });
    const releaseWith = (token: string) =>
      call(server!.url, '/api/schedules/1/seats/release', {
        method: 'POST',
        body: { seatIds: [1] },
        headers: bearer(token),
      });
    for (let i = 0; i < FAILURES; i++) expect((await releaseWith(`guess-${i}-0123456789abcdef`)).status).toBe(401);
    expect((await releaseWith(ADMIN)).status).toBe(429);
    expect((await createSchedule(50, bearer(ADMIN))).status).toBe(429);
  });
});
