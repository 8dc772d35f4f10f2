import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SseClient } from '../support/sse-client.js';
import { get, hold, newGuest, release, startServer, type Guest, type TestServer } from '../support/server.js';

const EVENTS = '/api/schedules/1/seats/events';

describe('resume with Last-Event-ID', () => {
  let server: TestServer;
  let guest: Guest;
  beforeEach(async () => {
    server = await startServer({ replayLimit: 20 });
    guest = await newGuest(server.url);
  });
  afterEach(() => server.close());

  it('gives a returning client exactly the events it missed, in order, then live ones', async () => {
    const first = await SseClient.connect(server.url + EVENTS);
    await hold(server.url, guest, [1]);
    await first.waitForSeatEvents(1);
    const lastId = first.lastEventId!;
    first.close();

    await hold(server.url, guest, [2, 3]);
    await release(server.url, guest, [1]);

    const back = await SseClient.connect(server.url + EVENTS, { 'last-event-id': lastId });
    await back.waitForSeatEvents(3);
    await hold(server.url, guest, [4]);
    await back.waitForSeatEvents(4);
    expect(back.events.some((e) => e.event === 'snapshot')).toBe(false);
    const events = back.seatEvents();
    expect(events.map((e) => [e.scheduleSeatId, e.status])).toEqual([
      [2, 'HELD'],
      [3, 'HELD'],
      [1, 'AVAILABLE'],
      [4, 'HELD'],
    ]);
    const [offset, epoch] = lastId.split('@');
    expect(events.map((e) => e.id)).toEqual([1, 2, 3, 4].map((n) => `${Number(offset) + n}@${epoch}`));
    back.close();
  });

  it('accepts ?lastEventId= for a first connect, and lets the header win over it', async () => {
    const { body: before, headers } = await get(server.url, '/api/schedules/1/seats');
    expect(before).toHaveLength(200);
    const head = headers.get('last-event-id')!;
    await hold(server.url, guest, [1]);
    await hold(server.url, guest, [2]);
    const afterFirst = `${Number(head.split('@')[0]) + 1}@${head.split('@')[1]}`;

    const viaQuery = await SseClient.connect(`${server.url}${EVENTS}?lastEventId=${head}`);
    await viaQuery.waitForSeatEvents(2);
    expect(viaQuery.seatEvents().map((e) => e.scheduleSeatId)).toEqual([1, 2]);

    const headerWins = await SseClient.connect(`${server.url}${EVENTS}?lastEventId=${head}`, {
      'last-event-id': afterFirst,
    });
    await headerWins.waitForSeatEvents(1);
    // A later event: once it is here, seat 1 (after the query's id, not the header's) would have come first.
    await hold(server.url, guest, [3]);
    await headerWins.waitForSeatEvents(2);
    expect(headerWins.seatEvents().map((e) => e.scheduleSeatId)).toEqual([2, 3]);
    viaQuery.close();
    headerWins.close();
  });

  it('loses nothing published between GET /seats and subscribing with its Last-Event-ID', async () => {
    const { headers } = await get(server.url, '/api/schedules/1/seats');
    const lastEventId = headers.get('last-event-id')!;
    expect(headers.get('etag')).toBe(`"${lastEventId}"`);
    await hold(server.url, guest, [9]); // published after the map was read, before subscribing
    const client = await SseClient.connect(server.url + EVENTS, { 'last-event-id': lastEventId });
    await client.waitForSeatEvents(1);
    expect(client.seatEvents()).toEqual([expect.objectContaining({ scheduleSeatId: 9, status: 'HELD' })]);
    client.close();
  });

  it('starts with a snapshot when the id is older than the replay limit', async () => {
    const { headers } = await get(server.url, '/api/schedules/1/seats');
    const old = headers.get('last-event-id')!;
    for (let round = 0; round < 3; round++) {
      await hold(server.url, guest, [1, 2, 3, 4, 5]);
      await release(server.url, guest, [1, 2, 3, 4, 5]);
    } // 30 events: more than the replay limit of 20
    await hold(server.url, guest, [100]);
    const client = await SseClient.connect(server.url + EVENTS, { 'last-event-id': old });
    await client.waitFor((c) => c.events.length > 0);
    const [snapshot] = client.events;
    expect(snapshot!.event).toBe('snapshot');
    const { body: seats, headers: now } = await get(server.url, '/api/schedules/1/seats');
    expect(snapshot!.id).toBe(now.get('last-event-id'));
    expect(JSON.parse(snapshot!.data)).toEqual({ scheduleId: 1, seats });
    expect(client.seatEvents()).toEqual([]);
    client.close();
  });

  it('starts with a snapshot for an id of another epoch, or one ahead of the head', async () => {
    const epochNow = (await get(server.url, '/api/schedules/1/seats')).headers.get('last-event-id')!.split('@')[1];
    for (const id of ['3@otherepoch', `999@${epochNow}`]) {
      const client = await SseClient.connect(server.url + EVENTS, { 'last-event-id': id });
      await client.waitFor((c) => c.events.length > 0);
      expect(client.events[0]!.event).toBe('snapshot');
      client.close();
    }
  });

  it('sends a snapshot on request, then live events after it', async () => {
    await hold(server.url, guest, [1]);
    const client = await SseClient.connect(`${server.url}${EVENTS}?snapshot=true`);
    await client.waitFor((c) => c.events.length > 0);
    const snapshot = JSON.parse(client.events[0]!.data);
    expect(client.events[0]!.event).toBe('snapshot');
    expect(snapshot.seats[0]).toEqual({ id: 1, row: 'A', number: 1, status: 'HELD' });
    expect(snapshot.seats[199]).toEqual({ id: 200, row: 'J', number: 20, status: 'AVAILABLE' });
    await hold(server.url, guest, [2]);
    await client.waitForSeatEvents(1);
    const [offset, epoch] = client.events[0]!.id!.split('@');
    expect(client.seatEvents()[0]!.id).toBe(`${Number(offset) + 1}@${epoch}`);
    client.close();
  });
});
