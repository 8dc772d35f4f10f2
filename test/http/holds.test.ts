import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SseClient } from '../support/sse-client.js';
import {
  checkout,
  get,
  hold,
  newGuest,
  post,
  release,
  serviceRelease,
  serviceReserve,
  startServer,
  type TestServer,
} from '../support/server.js';

const SERVICE = 'test-service-token-0123456789';

/** Last-Event-ID of the seat map: the id of the last event it reflects. */
async function head(server: TestServer): Promise<string> {
  return (await get(server.url, '/api/schedules/1/seats')).headers.get('last-event-id')!;
}

describe('holds over HTTP', () => {
  let server: TestServer;
  let now = Date.parse('2026-11-22T12:00:00Z');
  beforeEach(async () => {
    now = Date.parse('2026-11-22T12:00:00Z');
    // The sweeper never runs here: a test expires due holds itself with seats.expireDue().
    server = await startServer(
      { holdTtlMs: 60_000, holdSweepMs: 3_600_000, adminToken: SERVICE },
      { clock: () => now },
    );
  });
  afterEach(() => server.close());

  it('100 concurrent holds of one seat: one 200, 99 × 409; the winner repeating gets 200, no new event', async () => {
    const viewer = await SseClient.connect(`${server.url}/api/schedules/1/seats/events`);
    const guests = await Promise.all(Array.from({ length: 100 }, () => newGuest(server.url)));
    const results = await Promise.all(guests.map((guest) => hold(server.url, guest, [42])));
    const winners = results.filter((r) => r.status === 200);
    const losers = results.filter((r) => r.status === 409);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(99);
    expect(losers[0]!.body).toEqual({
      error: 'SEATS_UNAVAILABLE',
      message: expect.stringContaining('42'),
      seatIds: [42],
    });

    const winner = guests[results.indexOf(winners[0]!)]!;
    const again = await hold(server.url, winner, [42]);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      status: 'HELD',
      events: 0,
      eventId: winners[0]!.body.eventId,
      expiresAt: winners[0]!.body.expiresAt,
    });
    // A later event: once the viewer has it, any event of the repeated hold would have come first.
    const sentinel = await hold(server.url, winner, [43]);
    await viewer.waitForSeatEvents(2);
    expect(viewer.seatEvents().map((e) => [e.id, e.scheduleSeatId, e.status])).toEqual([
      [winners[0]!.body.eventId, 42, 'HELD'],
      [sentinel.body.eventId, 43, 'HELD'],
    ]);
    viewer.close();
  });

  it('expires a hold after its TTL with exactly one AVAILABLE event', async () => {
    const { seats } = server.app.seatstream;
    const viewer = await SseClient.connect(`${server.url}/api/schedules/1/seats/events`);
    const guest = await newGuest(server.url);
    const held = await hold(server.url, guest, [3, 4]);
    expect(held.body.expiresAt).toBe(new Date(now + 60_000).toISOString());
    // The answer shows the holder its seats as its own, each with the hold's expiry.
    expect(held.body.seats).toEqual(
      [3, 4].map((id) => ({ id, row: 'A', number: id, status: 'HELD', mine: true, expiresAt: held.body.expiresAt })),
    );
    now += 59_999;
    expect(await seats.expireDue()).toBe(0); // not due yet: no event, the map still shows the hold
    expect(await head(server)).toBe(held.body.eventId);
    now += 1;
    expect(await seats.expireDue()).toBe(2);
    expect(await seats.expireDue()).toBe(0); // expired once only
    const sentinel = await hold(server.url, guest, [5]);
    await viewer.waitForSeatEvents(5);
    expect(viewer.seatEvents().map((e) => [e.scheduleSeatId, e.status])).toEqual([
      [3, 'HELD'],
      [4, 'HELD'],
      [3, 'AVAILABLE'],
      [4, 'AVAILABLE'],
      [5, 'HELD'],
    ]);
    expect(viewer.seatEvents().at(-1)!.id).toBe(sentinel.body.eventId);
    const late = await serviceReserve(server.url, SERVICE, { seatIds: [3], userId: guest.userId, orderId: 'order-1' });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ error: 'NOT_HELD', seatIds: [3] });
    viewer.close();
  });

  it('expires a due hold by any mutation of its schedule, before its checks', async () => {
    const [alice, bob] = await Promise.all([newGuest(server.url), newGuest(server.url)]);
    expect((await hold(server.url, alice, [7])).status).toBe(200);
    now += 60_000;
    const taken = await hold(server.url, bob, [7]);
    expect(taken.status).toBe(200);
    expect(taken.body.events).toBe(1);
    expect(await server.app.seatstream.seats.expireDue()).toBe(0); // the hold above expired it already
    expect((await release(server.url, alice, [7])).body).toMatchObject({ error: 'NOT_YOUR_HOLD', seatIds: [7] });
    const order = { seatIds: [7], userId: alice.userId, orderId: 'order-alice' };
    expect((await serviceReserve(server.url, SERVICE, order)).body).toMatchObject({ error: 'NOT_HELD', seatIds: [7] });
  });

  it('sweeps due holds by itself every HOLD_SWEEP_MS', async () => {
    const swept = await startServer({ holdTtlMs: 60_000, holdSweepMs: 20 }, { clock: () => now });
    try {
      const viewer = await SseClient.connect(`${swept.url}/api/schedules/1/seats/events`);
      const guest = await newGuest(swept.url);
      expect((await hold(swept.url, guest, [3])).status).toBe(200);
      now += 60_000;
      await viewer.waitForSeatEvents(2); // nothing but the sweeper makes this event
      expect(viewer.seatEvents().map((e) => [e.scheduleSeatId, e.status])).toEqual([
        [3, 'HELD'],
        [3, 'AVAILABLE'],
      ]);
      viewer.close();
    } finally {
      await swept.close();
    }
  });

  it('lets only the holder release; reserve is the service’s, for the holder, once per order', async () => {
    const [alice, bob] = await Promise.all([newGuest(server.url), newGuest(server.url)]);
    expect((await hold(server.url, alice, [10, 11])).status).toBe(200);
    const stolen = await release(server.url, bob, [10]);
    expect(stolen.status).toBe(403);
    expect(stolen.body).toMatchObject({ error: 'NOT_YOUR_HOLD', seatIds: [10] });
    expect((await release(server.url, bob, [12])).body).toMatchObject({ error: 'NOT_HELD', seatIds: [12] });
    // A buyer never reserves, not even its own holds, whatever it claims: that is the service's act after payment.
    for (const buyer of [alice, bob]) {
      const order = { seatIds: [10, 11], userId: alice.userId, orderId: 'order-1' };
      const refused = await post(server.url, '/api/schedules/1/seats/reserve', order, buyer);
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ error: 'FORBIDDEN' });
    }
    // The service reserves a user's seats only while that user holds them.
    const notBobs = await serviceReserve(server.url, SERVICE, {
      seatIds: [11],
      userId: bob.userId,
      orderId: 'order-0',
    });
    expect(notBobs.status).toBe(409);
    expect(notBobs.body).toMatchObject({ error: 'NOT_HELD', seatIds: [11] });

    const order = { seatIds: [10, 11], userId: alice.userId, orderId: 'order-1' };
    const reserved = await serviceReserve(server.url, SERVICE, order);
    expect(reserved.status).toBe(200);
    expect(reserved.body).toMatchObject({
      status: 'RESERVED',
      events: 2,
      seats: [
        { id: 10, status: 'RESERVED', holder: alice.userId },
        { id: 11, status: 'RESERVED', holder: alice.userId },
      ],
    });
    // The same order again (a retried checkout) changes nothing; the same order id for other seats is a conflict.
    const again = await serviceReserve(server.url, SERVICE, order);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'RESERVED', events: 0, eventId: reserved.body.eventId });
    const conflict = await serviceReserve(server.url, SERVICE, { ...order, seatIds: [10] });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ error: 'ORDER_CONFLICT' });
    const otherOrder = await serviceReserve(server.url, SERVICE, { ...order, orderId: 'order-2' });
    expect(otherOrder.status).toBe(409);
    expect(otherOrder.body).toMatchObject({ error: 'NOT_HELD', seatIds: [10, 11] });
    expect((await release(server.url, alice, [10])).status).toBe(409);

    const seats = (await get(server.url, '/api/schedules/1/seats', { authorization: `Bearer ${alice.token}` })).body;
    expect(seats[9]).toEqual({ id: 10, row: 'A', number: 10, status: 'RESERVED', mine: true });
    const anonymous = (await get(server.url, '/api/schedules/1/seats')).body;
    expect(anonymous[9]).toEqual({ id: 10, row: 'A', number: 10, status: 'RESERVED' });
  });

  it('lets the service release anyone’s held or reserved seats, and a buyer finish by the demo checkout', async () => {
    const viewer = await SseClient.connect(`${server.url}/api/schedules/1/seats/events`);
    const [alice, bob] = await Promise.all([newGuest(server.url), newGuest(server.url)]);
    expect((await hold(server.url, alice, [30, 31])).status).toBe(200);
    expect((await hold(server.url, bob, [32])).status).toBe(200);
    const bought = await checkout(server.url, alice, [30, 31]);
    expect(bought.status).toBe(200);
    expect(bought.body).toMatchObject({
      status: 'RESERVED',
      events: 2,
      seats: [
        { id: 30, status: 'RESERVED', mine: true },
        { id: 31, status: 'RESERVED', mine: true },
      ],
    });
    expect((await checkout(server.url, bob, [31])).body).toMatchObject({ error: 'NOT_HELD', seatIds: [31] });

    // A refund of alice's seat 31 and a cancelled payment of bob's hold: one call, anyone's seats.
    const freed = await serviceRelease(server.url, SERVICE, [31, 32]);
    expect(freed.status).toBe(200);
    expect(freed.body).toMatchObject({
      status: 'AVAILABLE',
      events: 2,
      seats: [
        { id: 31, status: 'AVAILABLE' },
        { id: 32, status: 'AVAILABLE' },
      ],
    });
    expect((await serviceRelease(server.url, SERVICE, [33])).body).toMatchObject({ error: 'NOT_HELD', seatIds: [33] });
    await viewer.waitForSeatEvents(7);
    expect(viewer.seatEvents().map((e) => [e.scheduleSeatId, e.status])).toEqual([
      [30, 'HELD'],
      [31, 'HELD'],
      [32, 'HELD'],
      [30, 'RESERVED'],
      [31, 'RESERVED'],
      [31, 'AVAILABLE'],
      [32, 'AVAILABLE'],
    ]);
    const anonymous = (await get(server.url, '/api/schedules/1/seats')).body;
    expect(anonymous.slice(29, 33).map((s: { status: string }) => s.status)).toEqual([
      'RESERVED',
      'AVAILABLE',
      'AVAILABLE',
      'AVAILABLE',
    ]);
    viewer.close();
  });

  it('is all or nothing over a list of seats', async () => {
    const [alice, bob] = await Promise.all([newGuest(server.url), newGuest(server.url)]);
    await hold(server.url, alice, [20]);
    const { headers } = await get(server.url, '/api/schedules/1/seats');
    const refused = await hold(server.url, bob, [19, 20, 21]);
    expect(refused.status).toBe(409);
    expect(refused.body.seatIds).toEqual([20]);
    const after = await get(server.url, '/api/schedules/1/seats');
    expect(after.headers.get('last-event-id')).toBe(headers.get('last-event-id'));
    expect(after.body.slice(18, 21).map((s: { status: string }) => s.status)).toEqual([
      'AVAILABLE',
      'HELD',
      'AVAILABLE',
    ]);
  });

  it('caps the seats one user holds per schedule', async () => {
    const guest = await newGuest(server.url);
    expect((await hold(server.url, guest, [1, 2, 3, 4, 5, 6, 7, 8])).status).toBe(200);
    const over = await hold(server.url, guest, [9, 10, 11]);
    expect(over.status).toBe(409);
    expect(over.body.error).toBe('HOLD_LIMIT');
    expect((await hold(server.url, guest, [9, 10])).status).toBe(200);
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await get(server.url, '/api/schedules/1/seats');
    const response = await fetch(`${server.url}/api/schedules/1/seats`, {
      headers: { 'if-none-match': first.headers.get('etag')! },
    });
    expect(response.status).toBe(304);
  });
});
