import { afterEach, describe, expect, it } from 'vitest';
import { GUEST_COOKIE } from '../../src/http/authenticate.js';
import { newGuest, startServer, type TestServer } from '../support/server.js';
import { bearer, call } from '../support/trust.js';

/** Holds and releases are limited per user and, across its users, per client address. */
describe('mutation rate limits', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const holdOne = (seat: number, headers: Record<string, string>) =>
    call(server!.url, '/api/schedules/1/seats/hold', { method: 'POST', body: { seatIds: [seat] }, headers });

  it('per address: several users from one address share its budget', async () => {
    server = await startServer({ rateLimits: true, mutationsPerIpPerMinute: 5, mutationsPerUserPerMinute: 60 });
    const guests = await Promise.all([1, 2, 3].map(() => newGuest(server!.url)));
    const statuses: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (const [i, guest] of guests.entries())
        statuses.push((await holdOne(round * 3 + i + 1, bearer(guest.token))).status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
  });

  it('per user: the same credential written differently is the same user', async () => {
    server = await startServer({ rateLimits: true, mutationsPerIpPerMinute: 600, mutationsPerUserPerMinute: 3 });
    const guest = await newGuest(server.url);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      // Authorization: Bearer <spaces> token — the server trims it, so it is one user's token.
      const headers = { authorization: `Bearer ${' '.repeat(i)}${guest.token}` };
      statuses.push((await holdOne(i + 1, headers)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
  });

  it('per user: an unrelated cookie beside the session cookie does not make a new user', async () => {
    server = await startServer({ rateLimits: true, mutationsPerIpPerMinute: 600, mutationsPerUserPerMinute: 3 });
    const guest = await newGuest(server.url);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const headers = { cookie: `${GUEST_COOKIE}=${guest.token}; junk=${i}`, origin: server.url };
      statuses.push((await holdOne(20 + i, headers)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
  });

  it('reads are limited per address', async () => {
    server = await startServer({ rateLimits: true, readsPerMinute: 4 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await call(server.url, '/api/schedules/1/seats')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });
});
