import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hold, newGuest, release, startServer, type TestServer } from '../support/server.js';

const COOLDOWN_MS = 60_000;

/** After a user releases a seat, that user may not hold it again for the cool-down (a fake clock here). */
describe('hold cool-down', () => {
  let server: TestServer;
  let now = Date.now();
  beforeAll(async () => {
    server = await startServer({ rateLimits: true, holdCooldownMs: COOLDOWN_MS }, { clock: () => now });
  });
  afterAll(() => server.close());

  it('release then hold inside the cool-down is 409 HOLD_COOLDOWN with retryAfter; after it, 200', async () => {
    const guest = await newGuest(server.url);
    expect((await hold(server.url, guest, [5])).status).toBe(200);
    expect((await release(server.url, guest, [5])).status).toBe(200);

    now += 20_000;
    const refused = await hold(server.url, guest, [5]);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: 'HOLD_COOLDOWN', seatIds: [5], retryAfter: 40 });

    // The cool-down is the user's own: someone else may hold the seat meanwhile.
    const other = await newGuest(server.url);
    expect((await hold(server.url, other, [5])).status).toBe(200);
    expect((await release(server.url, other, [5])).status).toBe(200);

    now += 40_000;
    expect((await hold(server.url, guest, [5])).status).toBe(200);
  });

  it('a hold that expired starts the cool-down too', async () => {
    const guest = await newGuest(server.url);
    expect((await hold(server.url, guest, [9])).status).toBe(200);
    now += server.app.seatstream.config.holdTtlMs + 1;
    expect(await server.app.seatstream.seats.expireDue()).toBeGreaterThanOrEqual(1);
    const refused = await hold(server.url, guest, [9]);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('HOLD_COOLDOWN');
    expect(refused.body.retryAfter).toBeGreaterThan(0);
  });
});
