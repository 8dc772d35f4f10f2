import http from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeCompactRuns, encodeCompactSnapshot } from '../../src/protocol/compact-map.js';
import type { PublicSeat } from '../../src/protocol/seat-events.js';
import { SseClient } from '../support/sse-client.js';
import { get, hold, newGuest, serviceReserve, startServer, type TestServer } from '../support/server.js';

const ADMIN = 'admin-token-for-compact-tests';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The demo schedule with seats held and reserved, and a second schedule; the map of schedule 1 and its id. */
async function setUp(
  config: Parameters<typeof startServer>[0] = {},
): Promise<{ seats: PublicSeat[]; eventId: string; seats2: PublicSeat[]; eventId2: string }> {
  server = await startServer({ adminToken: ADMIN, ...config });
  const created = await fetch(`${server.url}/api/schedules/2`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ rows: 3, seatsPerRow: 4, reserved: [2, 12] }),
  });
  expect(created.status).toBe(201);
  const guest = await newGuest(server.url);
  expect((await hold(server.url, guest, [5, 6, 21, 200])).status).toBe(200);
  const order = { seatIds: [6], userId: guest.userId, orderId: 'compact-1' };
  expect((await serviceReserve(server.url, ADMIN, order)).status).toBe(200);
  const map = await get<PublicSeat[]>(server.url, '/api/schedules/1/seats');
  const map2 = await get<PublicSeat[]>(server.url, '/api/schedules/2/seats');
  return {
    seats: map.body,
    eventId: map.headers.get('last-event-id')!,
    seats2: map2.body,
    eventId2: map2.headers.get('last-event-id')!,
  };
}

/** The stream's text as it came, up to the first `count` blocks whose event is named `event`. */
function readStream(path: string, count = 1, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get(server!.url + path, { headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
        const complete = text.split('\n\n').slice(0, -1); // the last one may be cut short
        const named = complete.filter((block) => block.includes('\nevent: snapshot\n'));
        if (named.length < count) return;
        request.destroy();
        resolve(text);
      });
    });
    request.on('error', reject);
  });
}

/** The `data:` of each snapshot in a stream's text, with its id. */
function snapshots(text: string): Array<{ id: string; data: string }> {
  return text
    .split('\n\n')
    .filter((block) => block.includes('event: snapshot\n'))
    .map((block) => ({ id: /^id: (.*)$/m.exec(block)![1]!, data: /^data: (.*)$/m.exec(block)![1]! }));
}

describe('the compact snapshot form on the streams', () => {
  it('sends the full form byte for byte as before unless asked, and the compact form when asked', async () => {
    const { seats, eventId } = await setUp();
    const retry = `retry: ${server!.app.seatstream.config.sseRetryMs}\n`;
    const raw = await (await fetch(`${server!.url}/api/schedules/1/seats`)).text();
    // The frame the original design's clients read: the seats of GET …/seats, in `seats`.
    const full = `${retry}id: ${eventId}\nevent: snapshot\ndata: {"scheduleId":1,"seats":${raw}}\n\n`;
    for (const query of ['?snapshot=true', '?snapshot=1&snapshotForm=full']) {
      const text = await readStream(`/api/schedules/1/seats/events${query}`);
      expect(text.slice(0, full.length)).toBe(full);
    }
    const text = await readStream('/api/schedules/1/seats/events?snapshot=true&snapshotForm=compact');
    const compact = `${retry}id: ${eventId}\nevent: snapshot\ndata: ${encodeCompactSnapshot(1, seats)}\n\n`;
    expect(text.slice(0, compact.length)).toBe(compact);
    const [snapshot] = snapshots(text);
    const data = JSON.parse(snapshot!.data) as { scheduleId: number; form: string; runs: unknown };
    expect(data).toMatchObject({ scheduleId: 1, form: 'compact' });
    expect(data.runs).toHaveLength(10); // rows A–J
    expect(decodeCompactRuns(data.runs)).toEqual(seats);
    expect(seats.filter((s) => s.status !== 'AVAILABLE').map((s) => [s.id, s.status])).toEqual([
      [5, 'HELD'],
      [6, 'RESERVED'],
      [21, 'HELD'],
      [200, 'HELD'],
    ]);
  });

  it('sends the compact form for a position that cannot resume, from the query or the header', async () => {
    const { seats, eventId } = await setUp();
    const compact = encodeCompactSnapshot(1, seats);
    const stale = '3@otherepoch';
    const fromQuery = await readStream(`/api/schedules/1/seats/events?lastEventId=${stale}&snapshotForm=compact`);
    expect(snapshots(fromQuery)).toEqual([{ id: eventId, data: compact }]);
    const fromHeader = await readStream('/api/schedules/1/seats/events?snapshot=true&snapshotForm=compact', 1, {
      'last-event-id': stale,
    });
    expect(snapshots(fromHeader)).toEqual([{ id: eventId, data: compact }]);
  });

  it('on /api/events: each schedule that starts from a snapshot gets the compact form, cursors as before', async () => {
    const { seats, eventId, seats2, eventId2 } = await setUp();
    const both = await readStream('/api/events?schedules=1,2&snapshot=true&snapshotForm=compact', 2);
    expect(snapshots(both).sort((a, b) => a.data.localeCompare(b.data))).toEqual([
      { id: eventId, data: encodeCompactSnapshot(1, seats) },
      { id: eventId2, data: encodeCompactSnapshot(2, seats2) },
    ]);
    expect(decodeCompactRuns(JSON.parse(encodeCompactSnapshot(2, seats2)).runs)).toEqual(seats2);
    // Schedule 1 resumes from the cursor; schedule 2, missing from it, starts from a compact snapshot.
    const client = await SseClient.connect(`${server!.url}/api/events?schedules=1,2&snapshotForm=compact`, {
      'last-event-id': `1:${eventId}`,
    });
    await client.waitFor((c) => c.events.some((e) => e.event === 'cursor'), 5_000, 'the cursor');
    const named = client.events.filter((e) => e.event !== 'message');
    expect(named.map((e) => e.event)).toEqual(['snapshot', 'cursor']);
    expect(named[0]).toMatchObject({ id: eventId2, data: encodeCompactSnapshot(2, seats2) });
    expect(named[1]!.data).toBe(`1:${eventId},2:${eventId2}`);
    client.close();
    // Not asked: the full form, as before.
    const old = await readStream('/api/events?schedules=2&snapshot=true');
    expect(snapshots(old)).toEqual([{ id: eventId2, data: `{"scheduleId":2,"seats":${JSON.stringify(seats2)}}` }]);
  });

  it('makes both forms of one offset from one read of the store', async () => {
    // Snapshots of the newest offset only: not the map set-up read a moment ago.
    await setUp({ snapshotMaxStalenessMs: 0 });
    // A new offset, whose map nobody read yet.
    expect((await hold(server!.url, await newGuest(server!.url), [7])).status).toBe(200);
    const state = vi.spyOn(server!.app.seatstream.seats, 'state');
    const texts = await Promise.all(
      ['full', 'compact', 'full', 'compact'].map((form) =>
        readStream(`/api/schedules/1/seats/events?snapshot=true&snapshotForm=${form}`),
      ),
    );
    expect(state).toHaveBeenCalledTimes(1);
    expect(snapshots(texts[2]!)).toEqual(snapshots(texts[0]!));
    expect(snapshots(texts[3]!)).toEqual(snapshots(texts[1]!));
    expect(snapshots(texts[1]!)[0]!.data.length * 5).toBeLessThan(snapshots(texts[0]!)[0]!.data.length);
  });

  it('refuses any other snapshotForm with a 400 JSON error, on both routes', async () => {
    server = await startServer();
    for (const path of ['/api/schedules/1/seats/events?', '/api/events?schedules=1&']) {
      for (const value of ['tiny', 'COMPACT', '', 'true']) {
        const response = await fetch(`${server.url}${path}snapshot=true&snapshotForm=${value}`);
        expect(response.status, `${path}snapshotForm=${value}`).toBe(400);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        expect(await response.json()).toMatchObject({ error: 'BAD_REQUEST' });
      }
    }
  });
});
