import { afterEach, describe, expect, it } from 'vitest';
import { newGuest, startServer, type TestServer } from '../support/server.js';
import { bearer, call } from '../support/trust.js';

describe('DEMO=off', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const checkout = (token: string) =>
    call(server!.url, '/api/demo/schedules/1/checkout', {
      method: 'POST',
      body: { seatIds: [1] },
      headers: bearer(token),
    });

  it('the demo schedule and its checkout route are both gone (404)', async () => {
    server = await startServer({ demo: false });
    const seats = await call(server.url, '/api/schedules/1/seats');
    expect(seats.status).toBe(404);
    expect(seats.body.error).toBe('SCHEDULE_NOT_FOUND');
    const guest = await newGuest(server.url);
    const response = await checkout(guest.token);
    expect(response.status).toBe(404);
    expect(response.body.error).toBe('NOT_FOUND');
  });

  it('with the demo on, both exist (the same requests succeed)', async () => {
    server = await startServer({ demo: true });
    expect((await call(server.url, '/api/schedules/1/seats')).status).toBe(200);
    const guest = await newGuest(server.url);
    expect(
      (
        await call(server.url, '/api/schedules/1/seats/hold', {
          method: 'POST',
          body: { seatIds: [1] },
          headers: bearer(guest.token),
        })
      ).status,
    ).toBe(200);
    const response = await checkout(guest.token);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'RESERVED', events: 1 });
  });
});
