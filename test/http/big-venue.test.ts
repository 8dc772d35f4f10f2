import { Writable } from 'node:stream';
import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalBus } from '../../src/backends/memory/local-bus.js';
import type { BuildOptions } from '../../src/http/app.js';
import type { Config } from '../../src/config.js';
import { decodeCompactRuns } from '../../src/protocol/compact-map.js';
import { encodeSeatEvent } from '../../src/protocol/seat-events.js';
import { scheduleTopic } from '../../src/seats/seat-events.js';
import { SseClient } from '../support/sse-client.js';
import { eventually, hold, newGuest, startServer, streaming, type TestServer } from '../support/server.js';

const ADMIN = 'admin-token-for-tests-0123';
const ARENA = 7;
/** 100,000 seats: the largest layout, an ordinary arena. */
const LAYOUT = { rows: 400, seatsPerRow: 250 };
const SEATS = LAYOUT.rows * LAYOUT.seatsPerRow;
const RESERVED = [1, 2, 50_000, 100_000];
const EVENTS = `/api/schedules/${ARENA}/seats/events`;

interface Snapshot {
  scheduleId: number;
  seats: Array<{ id: number; status: string }>;
}

describe('a 100,000-seat arena', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** A server with the arena, created by the service API; the id of its last event. */
  async function arena(overrides: Partial<Config> = {}, options: BuildOptions = {}): Promise<string> {
    server = await startServer({ adminToken: ADMIN, demo: false, ...overrides }, options);
    const response = await fetch(`${server.url}/api/schedules/${ARENA}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...LAYOUT, reserved: RESERVED }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { eventId: string }).eventId;
  }

  /** What is unsent for a reader stays in this process's buffers: published in chunks across ticks, as holds are. */
  async function publish(events: number): Promise<void> {
    const bus = server!.app.seatstream.backend.bus as LocalBus;
    for (let sent = 0; sent < events; ) {
      for (let i = 0; i < 100 && sent < events; i++, sent++)
        bus.appendNow(scheduleTopic(ARENA), encodeSeatEvent(ARENA, (sent % 1000) + 10, 'HELD', Date.now()));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  const overflows = async () => (await server!.app.seatstream.metrics.sseOverflows.get()).values[0]!.value;

  it('sends a 5.7 MB snapshot past the 1 MiB slow-reader bound to an EventSource, then live events', async () => {
    const lastEventId = await arena(); // SSE_BUFFER_LIMIT_BYTES: the default 1 MiB
    const started = performance.now();
    const source = new EventSource(`${server!.url}${EVENTS}?snapshot=true`);
    const snapshot = await new Promise<MessageEvent<string>>((resolve, reject) => {
      source.addEventListener('snapshot', resolve, { once: true });
      source.addEventListener('error', () => reject(new Error('the stream failed or was cut')), { once: true });
    });
    const took = performance.now() - started;
    console.log(`100,000-seat snapshot: ${snapshot.data.length} bytes of data, arrived in ${took.toFixed(0)} ms`);
    expect(snapshot.data.length).toBeGreaterThan(server!.app.seatstream.config.sseBufferLimitBytes * 5);
    expect(snapshot.lastEventId).toBe(lastEventId);
    const map = JSON.parse(snapshot.data) as Snapshot;
    expect(map.scheduleId).toBe(ARENA);
    expect(map.seats).toHaveLength(SEATS);
    expect(map.seats.filter((seat) => seat.status !== 'AVAILABLE').map((seat) => seat.id)).toEqual(RESERVED);

    // The first seat event (a data heartbeat, which may come first, is a message too).
    const live = new Promise<MessageEvent<string>>((resolve) =>
      source.addEventListener('message', (event) => !event.data.includes('"isHeartbeat":true') && resolve(event)),
    );
    await streaming(server!, ARENA);
    const held = await hold(server!.url, await newGuest(server!.url), [77], ARENA);
    expect(held.status).toBe(200);
    const event = await live;
    expect(event.lastEventId).toBe(held.body.eventId);
    expect(JSON.parse(event.data)).toMatchObject({ scheduleId: ARENA, scheduleSeatId: 77, status: 'HELD' });
    expect(source.readyState).toBe(EventSource.OPEN); // never cut, never reconnected
    expect(await overflows()).toBe(0);
    source.close();
  }, 60_000);

  it('sends the compact form when asked: about 50 times smaller, the same seats once decoded', async () => {
    const lastEventId = await arena();
    // Seats held all over the arena, beside the reserved ones: 20 guests, 10 seats each, 5,000 ids apart.
    const guests = await Promise.all(Array.from({ length: 20 }, () => newGuest(server!.url)));
    let eventId = lastEventId;
    for (const [g, guest] of guests.entries()) {
      const seatIds = Array.from({ length: 10 }, (_, i) => 3 + g * 17 + i * 5_000);
      const held = await hold(server!.url, guest, seatIds, ARENA);
      expect(held.status).toBe(200);
      eventId = held.body.eventId;
    }
    const take = async (query: string) => {
      const started = performance.now();
      const source = new EventSource(`${server!.url}${EVENTS}?snapshot=true${query}`);
      const snapshot = await new Promise<MessageEvent<string>>((resolve, reject) => {
        source.addEventListener('snapshot', resolve, { once: true });
        source.addEventListener('error', () => reject(new Error('the stream failed or was cut')), { once: true });
      });
      source.close();
      expect(snapshot.lastEventId).toBe(eventId);
      return { data: snapshot.data, ms: performance.now() - started };
    };
    const full = await take('');
    const compact = await take('&snapshotForm=compact');
    console.log(
      `100,000-seat snapshot: full ${full.data.length} bytes in ${full.ms.toFixed(0)} ms, ` +
        `compact ${compact.data.length} bytes in ${compact.ms.toFixed(0)} ms`,
    );
    expect(compact.data.length * 40).toBeLessThan(full.data.length);
    const data = JSON.parse(compact.data) as { scheduleId: number; form: string; runs: unknown[] };
    expect(data).toMatchObject({ scheduleId: ARENA, form: 'compact' });
    expect(data.runs).toHaveLength(LAYOUT.rows);
    const seats = decodeCompactRuns(data.runs)!;
    expect(seats).toEqual((JSON.parse(full.data) as Snapshot).seats);
    expect(seats.filter((seat) => seat.status === 'HELD')).toHaveLength(200);
  }, 60_000);

  it('cuts a reader that stops reading mid-snapshot after SNAPSHOT_WRITE_TIMEOUT_MS; logs and counts it', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    const timeoutMs = 300;
    await arena({ snapshotWriteTimeoutMs: timeoutMs }, { logger: { level: 'warn', stream: destination } });
    const connected = Date.now();
    const slow = await SseClient.connect(`${server!.url}${EVENTS}?snapshot=true`);
    // Paused before the snapshot comes: it stops somewhere in its 5.7 MB, since the loopback
    // socket's buffers take less (Linux's default tcp_wmem allows 4 MB at most).
    slow.pause();
    const reader = await SseClient.connect(`${server!.url}${EVENTS}?snapshot=true`);
    await reader.waitFor((c) => c.events.some((e) => e.event === 'snapshot'), 30_000, 'the snapshot');
    // A reader that does not read does not see its end either: the server's side says it was cut.
    const startedWaiting = performance.now();
    await eventually(() => expect(server!.app.seatstream.hub.subscriberCount(scheduleTopic(ARENA))).toBe(1));
    expect(slow.events).toEqual([]);
    // The other reader took the whole snapshot in the same time and is live: a later event reaches it.
    await streaming(server!, ARENA);
    const held = await hold(server!.url, await newGuest(server!.url), [77], ARENA);
    await reader.waitForSeatEvents(1);
    expect(reader.seatEvents().map((e) => e.id)).toEqual([held.body.eventId]);
    const taken = reader.events.find((e) => e.event === 'snapshot')!;
    expect((JSON.parse(taken.data) as Snapshot).seats).toHaveLength(SEATS);
    expect(reader.ended).toBe(false);

    expect(await overflows()).toBe(1);
    const cut = lines.filter((line) => String(line.msg).includes('SNAPSHOT_WRITE_TIMEOUT_MS'));
    expect(cut).toHaveLength(1);
    expect(cut[0]).toMatchObject({ level: 40, schedules: String(ARENA), timeoutMs });
    expect(cut[0]!.pendingBytes).toBeGreaterThan(0);
    expect(cut[0]!.time).toBeGreaterThanOrEqual(connected + timeoutMs); // not before its time
    expect(lines.filter((line) => String(line.msg).includes('SSE_BUFFER_LIMIT_BYTES'))).toEqual([]);
    console.log(
      `a reader paused mid-snapshot: cut ${(performance.now() - startedWaiting).toFixed(0)} ms after another took it`,
    );
    reader.close();
    slow.close();
  }, 60_000);

  it('counts live frames written behind an unsent snapshot against SSE_BUFFER_LIMIT_BYTES', async () => {
    const limit = 65_536;
    // A timeout far beyond the test: only the byte bound can cut the reader.
    await arena({ sseBufferLimitBytes: limit, snapshotWriteTimeoutMs: 600_000 });
    const slow = await SseClient.connect(`${server!.url}${EVENTS}?snapshot=true`);
    slow.pause();
    const reader = await SseClient.connect(`${server!.url}${EVENTS}?snapshot=true`);
    await reader.waitFor((c) => c.events.some((e) => e.event === 'snapshot'), 30_000, 'the snapshot');
    await streaming(server!, ARENA, 2);
    // Each event's frame is about 140 bytes: 1,000 of them pass the bound behind the snapshot.
    await publish(1_000);
    await reader.waitForSeatEvents(1_000, 10_000);
    expect(server!.app.seatstream.hub.subscriberCount(scheduleTopic(ARENA))).toBe(1);
    expect(await overflows()).toBe(1);
    expect(slow.events).toEqual([]);
    reader.close();
    slow.close();
  }, 60_000);
});
