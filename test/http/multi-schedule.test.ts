import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SseClient } from '../support/sse-client.js';
import { get, hold, newGuest, startServer, streaming, type Guest, type TestServer } from '../support/server.js';

/** docs/design.md §2: one connection follows several schedules; a cursor `1:3@e,2:1@e` says where each stands. */

const ADMIN = 'test-admin-token-0123456789';
const BOTH = '/api/events?schedules=1,2';

/** The cursor as a map schedule → event id; throws when it is not a cursor. */
function parseCursor(token: string | undefined): Record<string, string> {
  expect(token).toMatch(/^\d+:\d+@[0-9a-z]+(,\d+:\d+@[0-9a-z]+)*$/);
  return Object.fromEntries(token!.split(',').map((part) => part.split(':') as [string, string]));
}

function offsetOf(id: string): number {
  return Number(id.split('@')[0]);
}

describe('one connection, several schedules', () => {
  let server: TestServer;
  let guest: Guest;
  beforeEach(async () => {
    server = await startServer({ adminToken: ADMIN });
    const created = await fetch(`${server.url}/api/schedules/2`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rows: 2, seatsPerRow: 5 }),
    });
    expect(created.status).toBe(201);
    guest = await newGuest(server.url);
  });
  afterEach(() => server.close());

  async function headOf(scheduleId: number): Promise<string> {
    return (await get(server.url, `/api/schedules/${scheduleId}/seats`)).headers.get('last-event-id')!;
  }

  it('delivers events of both schedules, each naming its schedule, and writes a cursor after each chunk', async () => {
    const client = await SseClient.connect(server.url + BOTH);
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toMatch(/^text\/event-stream/);

    const one = await hold(server.url, guest, [3], 1);
    await client.waitForSeatEvents(1);
    expect(parseCursor(client.lastEventId)['1']).toBe(one.body.eventId);

    const two = await hold(server.url, guest, [1], 2);
    await client.waitForSeatEvents(2);
    await client.waitFor((c) => c.lastEventId?.includes('2:') ?? false, 5_000, 'a cursor naming schedule 2');
    expect(client.seatEvents()).toEqual([
      expect.objectContaining({ id: one.body.eventId, scheduleId: 1, scheduleSeatId: 3, status: 'HELD' }),
      expect.objectContaining({ id: two.body.eventId, scheduleId: 2, scheduleSeatId: 1, status: 'HELD' }),
    ]);
    expect(parseCursor(client.lastEventId)).toEqual({ '1': one.body.eventId, '2': two.body.eventId });
    // The cursor is a named `cursor` event whose data repeats its id: SSE parsers that record an id
    // only from a block with data (the eventsource package, eventsource-parser) keep it too, and
    // onmessage never sees it.
    const [cursor1, cursor2] = [`1:${one.body.eventId}`, `1:${one.body.eventId},2:${two.body.eventId}`];
    expect(client.events).toEqual([
      { id: one.body.eventId, event: 'message', data: expect.stringContaining('"scheduleSeatId":3') },
      { id: cursor1, event: 'cursor', data: cursor1 },
      { id: two.body.eventId, event: 'message', data: expect.stringContaining('"scheduleSeatId":1') },
      { id: cursor2, event: 'cursor', data: cursor2 },
    ]);
    client.close();
  });

  it('writes the cursor frame with one schedule too, exactly as `id` + `event: cursor` + `data`', async () => {
    const response = await fetch(`${server.url}/api/events?schedules=1`, { headers: { accept: 'text/event-stream' } });
    expect(response.status).toBe(200);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    await streaming(server, 1);
    const held = await hold(server.url, guest, [6], 1);
    const id = held.body.eventId as string;
    // Read up to the blank line after the cursor (it may come in the same read as its chunk, or
    // after); the heartbeat timer never fires in this test, so the stream carries nothing else.
    let text = '';
    while (!/event: cursor\n.*\n\n$/s.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    await reader.cancel();
    // The event's block, then the cursor's: `id`, `event: cursor`, and the same token as data.
    expect(text).toMatch(
      new RegExp(`\\nid: ${id}\\ndata: \\{[^\\n]+\\}\\n\\nid: 1:${id}\\nevent: cursor\\ndata: 1:${id}\\n\\n$`),
    );
  });

  it('writes no cursor on the one-schedule route: its event ids are its positions', async () => {
    const client = await SseClient.connect(`${server.url}/api/schedules/1/seats/events`);
    await streaming(server, 1);
    const first = await hold(server.url, guest, [8], 1);
    const sentinel = await hold(server.url, guest, [9], 1);
    await client.waitForSeatEvents(2);
    expect(client.events.map((e) => [e.event, e.id])).toEqual([
      ['message', first.body.eventId],
      ['message', sentinel.body.eventId],
    ]);
    expect(client.lastEventId).toBe(sentinel.body.eventId);
    client.close();
  });

  it('resumes from a cursor with exactly the events missed on both schedules, and no snapshot', async () => {
    const first = await SseClient.connect(server.url + BOTH);
    await hold(server.url, guest, [1], 1);
    await hold(server.url, guest, [1], 2);
    await first.waitFor(
      (c) => Object.keys(parseCursorSafe(c.lastEventId)).length === 2,
      5_000,
      'a cursor for both schedules',
    );
    const cursor = first.lastEventId!;
    first.close();

    const missed = [
      await hold(server.url, guest, [2, 3], 1),
      await hold(server.url, guest, [2], 2),
      await hold(server.url, guest, [4], 1),
    ];
    expect(missed.map((r) => r.status)).toEqual([200, 200, 200]);

    const back = await SseClient.connect(server.url + BOTH, { 'last-event-id': cursor });
    expect(back.status).toBe(200);
    await back.waitForSeatEvents(4);
    // Live events after the resume, one per schedule, prove nothing else was (or will be) replayed.
    const live1 = await hold(server.url, guest, [5], 1);
    const live2 = await hold(server.url, guest, [5], 2);
    await back.waitForSeatEvents(6);
    await back.waitFor((c) => parseCursorSafe(c.lastEventId)['2'] === live2.body.eventId, 5_000, 'the final cursor');

    expect(back.events.some((e) => e.event === 'snapshot')).toBe(false);
    const events = back.seatEvents();
    const of = (scheduleId: number) =>
      events.filter((e) => e.scheduleId === scheduleId).map((e) => [e.scheduleSeatId, e.id]);
    const [c1, c2] = [parseCursor(cursor)['1']!, parseCursor(cursor)['2']!];
    const epoch1 = c1.split('@')[1];
    const epoch2 = c2.split('@')[1];
    expect(of(1)).toEqual([
      [2, `${offsetOf(c1) + 1}@${epoch1}`],
      [3, `${offsetOf(c1) + 2}@${epoch1}`],
      [4, `${offsetOf(c1) + 3}@${epoch1}`],
      [5, live1.body.eventId],
    ]);
    expect(of(2)).toEqual([
      [2, `${offsetOf(c2) + 1}@${epoch2}`],
      [5, live2.body.eventId],
    ]);
    expect(events).toHaveLength(6);
    expect(parseCursor(back.lastEventId)).toEqual({ '1': live1.body.eventId, '2': live2.body.eventId });
    back.close();
  });

  it('starts a schedule missing from the cursor with a snapshot, and resumes the other', async () => {
    const head1 = await headOf(1);
    await hold(server.url, guest, [7], 1); // missed on schedule 1
    await hold(server.url, guest, [4], 2); // reflected in schedule 2's snapshot

    const client = await SseClient.connect(server.url + BOTH, { 'last-event-id': `1:${head1}` });
    expect(client.status).toBe(200);
    await client.waitFor(
      (c) => c.events.some((e) => e.event === 'snapshot') && c.seatEvents().length >= 1,
      5_000,
      'snapshot and replay',
    );
    const snapshots = client.events.filter((e) => e.event === 'snapshot');
    expect(snapshots).toHaveLength(1);
    const snapshot = JSON.parse(snapshots[0]!.data);
    expect(snapshot.scheduleId).toBe(2);
    expect(snapshot.seats).toHaveLength(10);
    expect(snapshot.seats[3]).toEqual({ id: 4, row: 'A', number: 4, status: 'HELD' });
    expect(snapshots[0]!.id).toBe(await headOf(2));
    expect(client.seatEvents()).toEqual([
      expect.objectContaining({
        scheduleId: 1,
        scheduleSeatId: 7,
        id: `${offsetOf(head1) + 1}@${head1.split('@')[1]}`,
      }),
    ]);
    await client.waitFor(
      (c) => Object.keys(parseCursorSafe(c.lastEventId)).length === 2,
      5_000,
      'a cursor for both schedules',
    );
    expect(parseCursor(client.lastEventId)).toEqual({ '1': await headOf(1), '2': await headOf(2) });
    client.close();
  });

  it('starts every schedule with a snapshot for a plain event id (no cursor)', async () => {
    await hold(server.url, guest, [1], 1);
    const client = await SseClient.connect(server.url + BOTH, { 'last-event-id': '5@abc' });
    expect(client.status).toBe(200);
    await client.waitFor((c) => c.events.filter((e) => e.event === 'snapshot').length >= 2, 5_000, 'two snapshots');
    const snapshots = client.events.filter((e) => e.event === 'snapshot').map((e) => JSON.parse(e.data));
    expect(snapshots.map((s) => s.scheduleId).sort()).toEqual([1, 2]);
    expect(snapshots.find((s) => s.scheduleId === 1).seats[0]).toEqual({ id: 1, row: 'A', number: 1, status: 'HELD' });
    expect(client.seatEvents()).toEqual([]);
    client.close();
  });

  it('sends one snapshot per schedule first with ?snapshot=true, then live events', async () => {
    const client = await SseClient.connect(`${server.url}${BOTH}&snapshot=true`);
    await client.waitFor((c) => c.events.length >= 4, 5_000, 'two snapshots, each with its cursor');
    // Each snapshot is a chunk of its own, followed by the cursor of where the connection stands.
    expect(client.events.slice(0, 4).map((e) => e.event)).toEqual(['snapshot', 'cursor', 'snapshot', 'cursor']);
    expect(client.events[3]!.data).toBe(client.events[3]!.id);
    expect(parseCursor(client.events[3]!.id)).toEqual({ '1': await headOf(1), '2': await headOf(2) });
    const firstTwo = client.events.filter((e) => e.event === 'snapshot');
    const scheduleIds = firstTwo.map((e) => JSON.parse(e.data).scheduleId).sort();
    expect(scheduleIds).toEqual([1, 2]);
    expect(JSON.parse(firstTwo.find((e) => JSON.parse(e.data).scheduleId === 2)!.data).seats).toHaveLength(10);

    const live = await hold(server.url, guest, [2], 2);
    await client.waitForSeatEvents(1);
    expect(client.seatEvents()).toEqual([
      expect.objectContaining({ id: live.body.eventId, scheduleId: 2, scheduleSeatId: 2 }),
    ]);
    expect(client.events.filter((e) => e.event === 'snapshot')).toHaveLength(2);
    await client.waitFor(
      (c) => parseCursorSafe(c.lastEventId)['2'] === live.body.eventId,
      5_000,
      'the cursor after the live event',
    );
    expect(parseCursor(client.lastEventId)).toEqual({ '1': await headOf(1), '2': live.body.eventId });
    client.close();
  });

  it('refuses a garbled cursor with 400 INVALID_LAST_EVENT_ID as JSON', async () => {
    const head = await headOf(1);
    for (const garbled of [
      '1:abc',
      `1:${head},garbage`,
      `:${head}`,
      `1:${head},`,
      `1:${head};2:${head}`,
      '1:5@ABC',
      'nonsense',
    ]) {
      for (const [path, headers] of [
        [BOTH, { 'last-event-id': garbled }],
        [`${BOTH}&lastEventId=${encodeURIComponent(garbled)}`, {}],
      ] as const) {
        const response = await fetch(server.url + path, { headers: { accept: 'text/event-stream', ...headers } });
        expect([garbled, response.status]).toEqual([garbled, 400]);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        expect(await response.json()).toMatchObject({ error: 'INVALID_LAST_EVENT_ID', message: expect.any(String) });
      }
    }
  });

  it('refuses more than 20 schedules per connection with 400', async () => {
    const ids = Array.from({ length: 21 }, (_, i) => i + 1).join(',');
    const response = await fetch(`${server.url}/api/events?schedules=${ids}`, {
      headers: { accept: 'text/event-stream' },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'BAD_REQUEST', message: expect.stringContaining('20') });
  });

  it('answers 404 SCHEDULE_NOT_FOUND for an unknown schedule in the list, opening no stream', async () => {
    const response = await fetch(`${server.url}/api/events?schedules=1,2,404`, {
      headers: { accept: 'text/event-stream' },
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toMatchObject({ error: 'SCHEDULE_NOT_FOUND', scheduleId: 404 });
    expect(server.app.seatstream.hub.topicCount).toBe(0);
  });

  it.each(['', '1,', ',1', '1,,2', '1,abc', '1;2'])('refuses ?schedules=%j with 400', async (list) => {
    const response = await fetch(`${server.url}/api/events?schedules=${encodeURIComponent(list)}`, {
      headers: { accept: 'text/event-stream' },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'BAD_REQUEST' });
  });

  it('refuses a missing ?schedules= with 400', async () => {
    const response = await fetch(`${server.url}/api/events`, { headers: { accept: 'text/event-stream' } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'BAD_REQUEST' });
  });
});

/** Like parseCursor, but {} for anything that is not (yet) a cursor. */
function parseCursorSafe(token: string | undefined): Record<string, string> {
  if (!token || !/^\d+:\d+@[0-9a-z]+(,\d+:\d+@[0-9a-z]+)*$/.test(token)) return {};
  return Object.fromEntries(token.split(',').map((part) => part.split(':') as [string, string]));
}
