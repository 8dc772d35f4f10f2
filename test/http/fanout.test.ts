import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SseClient } from '../support/sse-client.js';
import {
  eventually,
  hold,
  newGuest,
  release,
  serviceReserve,
  startServer,
  streaming,
  type TestServer,
} from '../support/server.js';

const ADMIN = 'test-admin-token-0123456789';

describe('fan-out of seat events', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer({ adminToken: ADMIN });
    await fetch(`${server.url}/api/schedules/2`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rows: 2, seatsPerRow: 5 }),
    });
  });
  afterEach(() => server.close());

  it('delivers a hold to every subscriber of its schedule with the same id, and to no other schedule', async () => {
    const viewers = await Promise.all(
      [1, 2, 3].map(() => SseClient.connect(`${server.url}/api/schedules/1/seats/events`)),
    );
    const other = await SseClient.connect(`${server.url}/api/schedules/2/seats/events`);
    expect(viewers[0]!.status).toBe(200);
    expect(viewers[0]!.headers['content-type']).toMatch(/^text\/event-stream/);
    const cacheControl = viewers[0]!.headers['cache-control']?.split(',').map((d) => d.trim());
    expect(cacheControl).toEqual(['no-cache', 'no-transform']);
    expect(viewers[0]!.headers['x-accel-buffering']).toBe('no');

    const guest = await newGuest(server.url);
    const response = await hold(server.url, guest, [5]);
    expect(response.status).toBe(200);
    expect(response.body.eventId).toMatch(/^\d+@[0-9a-z]+$/);

    for (const viewer of viewers) {
      await viewer.waitForSeatEvents(1);
      expect(viewer.seatEvents()).toEqual([
        expect.objectContaining({ id: response.body.eventId, scheduleId: 1, scheduleSeatId: 5, status: 'HELD' }),
      ]);
    }
    // Schedule 2 gets its own events only: hold one there and check nothing of schedule 1 came first.
    await hold(server.url, guest, [1], 2);
    await other.waitForSeatEvents(1);
    expect(other.seatEvents()).toEqual([expect.objectContaining({ scheduleId: 2, scheduleSeatId: 1, status: 'HELD' })]);
    for (const client of [...viewers, other]) client.close();
  });

  it('carries hold, reserve (by the service) and release in order with contiguous ids', async () => {
    const viewer = await SseClient.connect(`${server.url}/api/schedules/1/seats/events`);
    const guest = await newGuest(server.url);
    expect((await hold(server.url, guest, [1, 2])).status).toBe(200);
    const order = { seatIds: [1], userId: guest.userId, orderId: 'order-1' };
    expect((await serviceReserve(server.url, ADMIN, order)).status).toBe(200);
    expect((await release(server.url, guest, [2])).status).toBe(200);
    await viewer.waitForSeatEvents(4);
    const events = viewer.seatEvents();
    expect(events.map((e) => [e.scheduleSeatId, e.status])).toEqual([
      [1, 'HELD'],
      [2, 'HELD'],
      [1, 'RESERVED'],
      [2, 'AVAILABLE'],
    ]);
    const offsets = events.map((e) => Number(e.id.split('@')[0]));
    expect(offsets).toEqual([offsets[0], offsets[0]! + 1, offsets[0]! + 2, offsets[0]! + 3]);
    viewer.close();
  });

  it('speaks the wire format the original browser client reads: onmessage, JSON.parse, isHeartbeat', async () => {
    const { EventSource } = await import('eventsource');
    const restarted = await startServer({ heartbeatMs: 100 });
    try {
      const source = new EventSource(`${restarted.url}/api/schedules/1/seats/events`);
      const seen: Array<{ scheduleSeatId: number; status: string | null; isHeartbeat: boolean; timestamp: string }> =
        [];
      source.onmessage = (event) => seen.push(JSON.parse(event.data));
      await new Promise<void>((resolve) => (source.onopen = () => resolve()));
      await streaming(restarted, 1);
      const guest = await newGuest(restarted.url);
      await hold(restarted.url, guest, [7]);
      await eventually(() => expect(seen.filter((m) => m.isHeartbeat).length).toBeGreaterThan(0));
      // A later event: once it is here, any other message of seat 7 would have come first.
      await hold(restarted.url, guest, [8]);
      await eventually(() => expect(seen.some((m) => m.scheduleSeatId === 8)).toBe(true));
      source.close();
      const heartbeats = seen.filter((m) => m.isHeartbeat);
      const seatEvents = seen.filter((m) => !m.isHeartbeat);
      expect(heartbeats[0]).toMatchObject({ scheduleSeatId: -1, status: null });
      expect(seatEvents).toEqual([
        expect.objectContaining({ scheduleSeatId: 7, status: 'HELD', isHeartbeat: false }),
        expect.objectContaining({ scheduleSeatId: 8, status: 'HELD', isHeartbeat: false }),
      ]);
      expect(new Date(seatEvents[0]!.timestamp).toISOString()).toBe(seatEvents[0]!.timestamp);
    } finally {
      await restarted.close();
    }
  });
});
