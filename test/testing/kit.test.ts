import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  keysWithPrefix,
  SeatstreamApiError,
  startSeatstream,
  StreamWaitError,
  type TestSeatstream,
} from 'seatstream/testing';
import { redisTestsEnabled } from '../support/redis-server.js';
import { suiteRedis } from '../support/suite-redis.js';

/**
 * seatstream/testing as a user's integration test uses it: only the package's public entry
 * points (test/support gives the Redis, as a container would).
 */
describe('seatstream/testing, embedded', () => {
  let seatstream: TestSeatstream;
  const SCHEDULE = 7;

  beforeAll(async () => {
    seatstream = await startSeatstream();
    await seatstream.putSchedule(SCHEDULE, { rows: 2, seatsPerRow: 10 });
  });
  afterAll(() => seatstream.close());

  it('starts on an ephemeral loopback port, with a service token of its own', async () => {
    expect(seatstream.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(seatstream.serviceToken.length).toBeGreaterThanOrEqual(16);
    expect(seatstream.keyPrefix).toBeUndefined();
    expect(seatstream.config.demo).toBe(false);
    const map = await seatstream.seatMap(SCHEDULE);
    expect(map.seats).toHaveLength(20);
    expect(map.lastEventId).toMatch(/^0@/);
  });

  it('a guest holds a seat and the stream sees it; the service reserves it', async () => {
    const seats = await seatstream.openSchedule(SCHEDULE);
    const buyer = await seatstream.guest();

    const held = await seatstream.hold(buyer, SCHEDULE, [3]);
    expect(held.seats).toEqual([expect.objectContaining({ id: 3, status: 'HELD', mine: true })]);
    const heldEvent = await seats.waitFor('seat', (event) => event.data.scheduleSeatId === 3);
    expect(heldEvent).toMatchObject({ id: held.eventId, data: { scheduleId: SCHEDULE, status: 'HELD' } });

    const order = { userId: buyer.userId, seatIds: [3], orderId: 'order-1' };
    const reserved = await seatstream.reserve(SCHEDULE, order);
    expect(reserved.seats).toEqual([{ id: 3, row: 'A', number: 3, status: 'RESERVED', holder: buyer.userId }]);
    await seats.waitFor('seat', (event) => event.data.scheduleSeatId === 3 && event.data.status === 'RESERVED');
    await seats.close();
  });

  it("a notice to the user arrives on the user's private stream, beside seatstream's own", async () => {
    const buyer = await seatstream.guest();
    const notices = await seatstream.openNotifications(buyer);
    expect(notices.ofType('connected')[0]!.data).toEqual({ userId: buyer.userId });

    await seatstream.hold(buyer, SCHEDULE, [4]);
    await seatstream.reserve(SCHEDULE, { userId: buyer.userId, seatIds: [4], orderId: 'order-2' });
    const reserved = await notices.waitFor('hold-notice', (event) => event.event === 'reserved');
    expect(reserved.data).toEqual({ scheduleId: SCHEDULE, seatIds: [4], orderId: 'order-2' });

    const { eventId } = await seatstream.notify(buyer.userId, { event: 'order-paid', data: { orderId: 'order-2' } });
    const paid = await notices.waitFor('notice', (event) => event.event === 'order-paid');
    expect(paid).toMatchObject({ id: eventId, data: { orderId: 'order-2' } });
  });

  it('several schedules and the buyer notices share one connection', async () => {
    await seatstream.putSchedule(8, { rows: 1, seatsPerRow: 5, reserved: [5] });
    const buyer = await seatstream.guest();
    const both = await seatstream.openSchedules([SCHEDULE, 8], { notifications: buyer });
    expect(both.ofType('snapshot').find((event) => event.data.scheduleId === 8)!.data.seats[4]!.status).toBe(
      'RESERVED',
    );
    await seatstream.hold(buyer, 8, [1]);
    await seatstream.releaseAny(8, [1]);
    await both.waitFor('seat', (event) => event.data.scheduleId === 8 && event.data.status === 'AVAILABLE');
    const released = await both.waitFor('hold-notice', (event) => event.event === 'released');
    expect(released.data).toEqual({ scheduleId: 8, seatIds: [1] });
    // The cursor after it names the notices' position too (`u:`), as the client's resume needs.
    const since = both.events.indexOf(released);
    await both.waitFor('cursor', (event) => event.data.includes(`u:${released.id}`), { since });
  });

  it('a waitFor that times out lists what arrived', async () => {
    const seats = await seatstream.openSchedule(SCHEDULE);
    const buyer = await seatstream.guest();
    await seatstream.hold(buyer, SCHEDULE, [5]);
    const error = await seats
      .waitFor('seat', (event) => event.data.scheduleSeatId === 6, { timeoutMs: 300 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamWaitError);
    const { message } = error as StreamWaitError;
    expect(message).toContain('Waited for a seat event matching (event) => event.data.scheduleSeatId === 6');
    expect(message).toContain('none within 300 ms');
    // A heartbeat may come too: the hub spreads them over the interval, so one can be due at once.
    expect(message).toMatch(/\d events arrived:\n {2}#0 snapshot \d+@\w+ \{"scheduleId":7,"seats":/);
    // The snapshot may be a moment old (SNAPSHOT_MAX_STALENESS_MS): earlier events can come before it.
    expect(message).toMatch(/\n {2}#\d+ seat \d+@\w+ \{"scheduleId":7,"scheduleSeatId":5,"status":"HELD"/);
  });

  it('an error answer is a SeatstreamApiError with its status and JSON body', async () => {
    const [first, second] = [await seatstream.guest(), await seatstream.guest()];
    await seatstream.hold(first, SCHEDULE, [10]);
    const error = await seatstream.hold(second, SCHEDULE, [10, 11]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SeatstreamApiError);
    expect(error).toMatchObject({ status: 409, code: 'SEATS_UNAVAILABLE', body: { seatIds: [10] } });
    await expect(seatstream.reserve(SCHEDULE, { userId: 'nobody', seatIds: [11], orderId: 'o' })).rejects.toThrow(
      `POST /api/schedules/${SCHEDULE}/seats/reserve answered 409 NOT_HELD`,
    );
  });
});

describe.runIf(redisTestsEnabled('seatstream/testing on Redis'))('seatstream/testing on Redis', () => {
  const redis = suiteRedis();

  it("two instances under the kit's prefix see each other's events, and close leaves no key of it", async () => {
    const one = await startSeatstream({ redisUrl: redis.url });
    const prefix = one.keyPrefix!;
    expect(prefix).toMatch(/^seatstream-test:[\w-]+:$/);
    try {
      const two = await one.startPeer();
      await one.putSchedule(9, { rows: 1, seatsPerRow: 10 });
      const onOne = await one.openSchedule(9);
      const onTwo = await two.openSchedule(9);

      const buyer = await one.guest(); // a session of one instance is valid on the other
      const notices = await two.openNotifications(buyer);
      await two.hold(buyer, 9, [1]);
      await onOne.waitFor('seat', (event) => event.data.scheduleSeatId === 1 && event.data.status === 'HELD');
      await one.reserve(9, { userId: buyer.userId, seatIds: [1], orderId: 'order-9' });
      await onTwo.waitFor('seat', (event) => event.data.scheduleSeatId === 1 && event.data.status === 'RESERVED');
      await one.notify(buyer.userId, { data: { hello: 'from one' } });
      await notices.waitFor('notice', (event) => event.event === 'message');
      expect((await keysWithPrefix(redis.url, prefix)).length).toBeGreaterThan(0);
    } finally {
      await one.close(); // closes its peer too
    }
    expect(await keysWithPrefix(redis.url, prefix)).toEqual([]);
  });

  it('deletes only the keys under its own prefix', async () => {
    const client = new Redis(redis.url);
    const neighbour = redis.prefix('neighbour');
    try {
      await client.set(`${neighbour}kept`, '1');
      const seatstream = await startSeatstream({ redisUrl: redis.url });
      await seatstream.putSchedule(1, { rows: 1, seatsPerRow: 2 });
      await seatstream.close();
      expect(await client.get(`${neighbour}kept`)).toBe('1');
      expect(await keysWithPrefix(redis.url, seatstream.keyPrefix!)).toEqual([]);
    } finally {
      client.disconnect();
    }
  });
});
