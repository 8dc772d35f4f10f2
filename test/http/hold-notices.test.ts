import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { userTopic } from '../../src/hub/user-topic.js';
import { parseCursor } from '../../src/protocol/cursor.js';
import { SseClient } from '../support/sse-client.js';
import {
  type Guest,
  hold,
  newGuest,
  postWithToken,
  serviceRelease,
  serviceReserve,
  startServer,
  streaming,
  subscribed,
  type TestServer,
} from '../support/server.js';

const SERVICE = 'test-service-token-0123456789';
const T0 = Date.parse('2026-11-22T12:00:00Z');
const TTL = 60_000;
const WARNING = 20_000;

/** A service notice to the user: its arrival proves that everything sent before it has arrived. */
async function sentinel(server: TestServer, user: Guest, data: string): Promise<void> {
  const sent = await postWithToken(server.url, `/api/users/${user.userId}/notifications`, { data }, SERVICE);
  expect(sent.status).toBe(202);
}

describe('hold notices on private streams (memory backend)', () => {
  let server: TestServer;
  let now = T0;
  beforeEach(async () => {
    now = T0;
    // The sweeper never runs by itself here: the test expires and announces with seats.expireDue().
    server = await startServer(
      {
        holdTtlMs: TTL,
        holdWarningMs: WARNING,
        holdSweepMs: 3_600_000,
        adminToken: SERVICE,
        heartbeatStyle: 'comment',
      },
      { clock: () => now },
    );
  });
  afterEach(() => server.close());

  async function privateStream(user: Guest): Promise<SseClient> {
    const stream = await SseClient.connect(`${server.url}/api/notifications/events`, {
      authorization: `Bearer ${user.token}`,
    });
    await subscribed(server, userTopic(user.userId));
    return stream;
  }

  /** The notices a stream received between the sentinels `since` (or its start) and `until`. */
  async function noticesUntil(stream: SseClient, until: string, since?: string): Promise<Array<[string, unknown]>> {
    await stream.waitFor((c) => c.events.some((e) => e.data === JSON.stringify(until)), 5_000, until);
    const all = stream.withoutHeartbeats().filter((e) => e.event !== 'connected');
    const start = since === undefined ? 0 : all.findIndex((e) => e.data === JSON.stringify(since)) + 1;
    const end = all.findIndex((e) => e.data === JSON.stringify(until));
    return all.slice(start, end).map((e) => [e.event, JSON.parse(e.data)]);
  }

  it('warns a holder HOLD_WARNING_MS before the hold expires, then tells it expired, each once', async () => {
    const alice = await newGuest(server.url);
    const bob = await newGuest(server.url);
    const stream = await privateStream(alice);
    const bobs = await privateStream(bob);
    expect((await hold(server.url, alice, [3, 1])).status).toBe(200);
    now = T0 + 5_000;
    expect((await hold(server.url, alice, [9])).status).toBe(200);
    const { seatstream } = server.app;

    now = T0 + TTL - WARNING - 1;
    await seatstream.seats.expireDue(); // too early for a warning
    now = T0 + TTL - WARNING;
    await seatstream.seats.expireDue();
    await seatstream.seats.expireDue(); // once only
    await sentinel(server, alice, 'warned');
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(await noticesUntil(stream, 'warned')).toEqual([
      ['hold-expiring', { scheduleId: 1, seatIds: [1, 3], expiresAt: iso(T0 + TTL) }],
    ]);

    now = T0 + TTL + 5_000; // both holds are due: one sweep expires both, one notice per hold
    expect(await seatstream.seats.expireDue()).toBe(3);
    await sentinel(server, alice, 'expired');
    const told = await noticesUntil(stream, 'expired', 'warned');
    expect(told.sort()).toEqual(
      [
        ['hold-expired', { scheduleId: 1, seatIds: [1, 3], expiresAt: iso(T0 + TTL) }],
        // Seat 9's warning and expiry came in the same sweep: the warning never comes after it.
        ['hold-expired', { scheduleId: 1, seatIds: [9], expiresAt: iso(T0 + 5_000 + TTL) }],
      ].sort(),
    );
    await sentinel(server, bob, 'bob');
    expect(await noticesUntil(bobs, 'bob')).toEqual([]); // another user never sees them
  });

  it('tells the holder when the service reserved its seats or released them', async () => {
    const alice = await newGuest(server.url);
    const stream = await privateStream(alice);
    await hold(server.url, alice, [5, 4, 6]);
    const order = { userId: alice.userId, seatIds: [5, 4], orderId: 'order-7' };
    expect((await serviceReserve(server.url, SERVICE, order)).status).toBe(200);
    expect((await serviceReserve(server.url, SERVICE, order)).status).toBe(200); // a retry tells nothing
    expect((await serviceRelease(server.url, SERVICE, [6, 4])).status).toBe(200);
    await sentinel(server, alice, 'done');
    expect(await noticesUntil(stream, 'done')).toEqual([
      ['reserved', { scheduleId: 1, seatIds: [4, 5], orderId: 'order-7' }],
      ['released', { scheduleId: 1, seatIds: [4, 6] }],
    ]);
  });

  it('merges my notices into the multi-schedule connection, in its cursor, and resumes them', async () => {
    const alice = await newGuest(server.url);
    const url = `${server.url}/api/events?schedules=1&notifications=true`;
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect((await fetch(url, { headers: { authorization: `Bearer ${SERVICE}` } })).status).toBe(403);

    const merged = await SseClient.connect(`${url}&access_token=${alice.token}`);
    await streaming(server, 1);
    await subscribed(server, userTopic(alice.userId));
    await hold(server.url, alice, [2]);
    await sentinel(server, alice, 'first');
    await merged.waitFor((c) => c.events.some((e) => e.data === '"first"'), 5_000, 'first');
    const seen = merged.withoutHeartbeats().filter((e) => e.event !== 'cursor');
    expect(seen.map((e) => e.event)).toEqual(['message', 'message']);
    expect(JSON.parse(seen[0]!.data)).toMatchObject({ scheduleId: 1, scheduleSeatId: 2, status: 'HELD' });
    const cursor = merged.lastEventId!;
    expect([...parseCursor(cursor)!.keys()].sort()).toEqual(['1', 'u']);
    merged.close();

    // Missed while away: a notice and a seat event; the cursor resumes both, with no snapshot (each
    // topic in its own order; one topic's catch-up comes before the next one's).
    await postWithToken(server.url, `/api/users/${alice.userId}/notifications`, { event: 'news', data: 1 }, SERVICE);
    await hold(server.url, alice, [3]);
    const back = await SseClient.connect(`${url}&access_token=${alice.token}`, { 'last-event-id': cursor });
    await back.waitFor((c) => c.events.filter((e) => e.event !== 'cursor').length >= 2, 5_000, 'caught up');
    const resumed = back.withoutHeartbeats().filter((e) => e.event !== 'cursor');
    expect(resumed.map((e) => e.event).sort()).toEqual(['message', 'news']);
    expect(JSON.parse(resumed.find((e) => e.event === 'message')!.data)).toMatchObject({
      scheduleSeatId: 3,
      status: 'HELD',
    });
    back.close();
  });
});
