import http from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compress, MIN_COMPRESSED_BYTES, negotiateEncoding } from '../../src/http/content-encoding.js';
import { MapCache } from '../../src/http/map-cache.js';
import type { EventId } from '../../src/protocol/event-id.js';
import { encodeCompactRuns, encodeCompactSnapshot } from '../../src/protocol/compact-map.js';
import { encodeSnapshot } from '../../src/protocol/seat-events.js';
import { PublicMap } from '../../src/seats/public-map.js';
import { publicSeat } from '../../src/seats/seat-events.js';
import { type ScheduleState, type SeatState, seatPosition } from '../../src/seats/seat.js';
import { SseClient } from '../support/sse-client.js';
import { get, hold, newGuest, release, startServer, type TestServer } from '../support/server.js';

const ADMIN = 'admin-token-for-tests-0123';

/** A store whose reads finish when the test says: each reflects the head as it was when it began. */
class SlowStore {
  head: EventId = { offset: 1, epoch: 'e1' };
  reads = 0;
  private pending: Array<() => void> = [];
  failNext: Error | undefined;

  readonly options = {
    head: async () => this.head,
    read: (scheduleId: number) => {
      this.reads++;
      const at = this.head;
      const failure = this.failNext;
      this.failNext = undefined;
      return new Promise<ScheduleState>((resolve, reject) =>
        this.pending.push(() => (failure ? reject(failure) : resolve(state(scheduleId, at)))),
      );
    },
  };

  /** Finishes the reads under way. */
  finish(): void {
    const pending = this.pending;
    this.pending = [];
    for (const done of pending) done();
  }

  advance(): void {
    this.head = { offset: this.head.offset + 1, epoch: this.head.epoch };
  }
  /** `get`'s answer, the reads it began finished. */
  async answer<T>(get: Promise<T>): Promise<T> {
    await settle();
    this.finish();
    return get;
  }
}

/** A 2 × 5 map at `at`: seat 1 held by u1, seat 4 reserved by u1, seat 7 held by u2. */
function state(scheduleId: number, at: EventId): ScheduleState {
  const layout = { rows: 2, seatsPerRow: 5 };
  const seats: SeatState[] = [];
  for (let id = 1; id <= 10; id++) {
    const base = { id, ...seatPosition(layout, id) };
    if (id === 1) seats.push({ ...base, status: 'HELD', holder: 'u1', expiresAt: Date.UTC(2026, 0, 1, 20) });
    else if (id === 4) seats.push({ ...base, status: 'RESERVED', holder: 'u1' });
    else if (id === 7) seats.push({ ...base, status: 'HELD', holder: 'u2', expiresAt: Date.UTC(2026, 0, 1, 21) });
    else seats.push({ ...base, status: 'AVAILABLE' });
  }
  return { scheduleId, seats, lastEventId: at };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('PublicMap', () => {
  const map = state(3, { offset: 9, epoch: 'e' });

  it('is the JSON of the public seats, byte for byte, and the seats of a snapshot', () => {
    const serialized = new PublicMap(map);
    expect(serialized.bytes.toString()).toBe(JSON.stringify(map.seats.map(publicSeat)));
    expect(encodeSnapshot(3, map.seats.map(publicSeat))).toBe(`{"scheduleId":3,"seats":${serialized.bytes}}`);
  });

  it('builds a big map a slice per turn of the event loop, to the same bytes as one serialization', async () => {
    const layout = { rows: 50, seatsPerRow: 500 }; // 25,000 seats: three slices
    const seats: SeatState[] = [];
    for (let id = 1; id <= 25_000; id++)
      seats.push({ id, ...seatPosition(layout, id), status: id % 7 === 0 ? 'HELD' : 'AVAILABLE', holder: 'u' });
    const big: ScheduleState = { scheduleId: 4, seats, lastEventId: { offset: 1, epoch: 'e' } };
    const order: string[] = [];
    const building = PublicMap.build(big).then((built) => {
      order.push('built');
      return built;
    });
    setImmediate(() => order.push('another task'));
    const built = await building;
    expect(order).toEqual(['another task', 'built']); // it ran between the slices
    expect(built.bytes.equals(new PublicMap(big).bytes)).toBe(true);
    expect(built.bytes.toString()).toBe(JSON.stringify(seats.map(publicSeat)));
  });

  it('builds a map at a new offset from the previous one: only slices that changed are serialized again', async () => {
    const arena = (rows: number, seatsPerRow: number, status: (id: number) => SeatState['status']) => {
      const layout = { rows, seatsPerRow };
      const seats: SeatState[] = [];
      for (let id = 1; id <= rows * seatsPerRow; id++)
        seats.push({ id, ...seatPosition(layout, id), status: status(id) });
      return seats;
    };
    const at = (offset: number, seats: SeatState[], scheduleId = 5): ScheduleState => ({
      scheduleId,
      seats,
      lastEventId: { offset, epoch: 'e' },
    });
    // Seats are serialized with a key list (the public fields); the compact runs are not.
    const serializations = () => stringify.mock.calls.filter(([, replacer]) => Array.isArray(replacer)).length;
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      const first = await PublicMap.build(
        at(
          1,
          arena(100, 300, () => 'AVAILABLE'),
        ),
      ); // 30,000 seats: three slices
      expect(serializations()).toBe(3);
      // Seat 12,345 (the second slice) held: one slice serialized, two copied; the same bytes as a whole serialization.
      const held = arena(100, 300, (id) => (id === 12_345 ? 'HELD' : 'AVAILABLE'));
      stringify.mockClear();
      const second = await PublicMap.build(at(2, held), first);
      expect(serializations()).toBe(1);
      expect(second.bytes.toString()).toBe(JSON.stringify(held.map(publicSeat)));
      // Nothing changed: nothing serialized; and a map of another layout with as many seats, of
      // another schedule, or of more seats shares no slice with it.
      stringify.mockClear();
      expect((await PublicMap.build(at(3, held), second)).bytes.equals(second.bytes)).toBe(true);
      expect(serializations()).toBe(0);
      for (const [next, previous] of [
        [
          at(
            4,
            arena(300, 100, () => 'AVAILABLE'),
          ),
          second,
        ],
        [at(4, held, 6), second],
        [
          at(
            4,
            arena(100, 400, () => 'AVAILABLE'),
          ),
          first,
        ],
      ] as const) {
        stringify.mockClear();
        const built = await PublicMap.build(next, previous);
        expect(built.bytes.toString()).toBe(JSON.stringify(next.seats.map(publicSeat)));
        expect(serializations()).toBe(Math.ceil(next.seats.length / 10_000));
      }
    } finally {
      stringify.mockRestore();
    }
  });

  it('marks a holder’s own seats as the route always did, and hands others the shared bytes', () => {
    const serialized = new PublicMap(map);
    // What GET …/seats answered before maps were shared (seat-routes.ts, seatView).
    const answered = (userId: string) =>
      map.seats.map((seat) =>
        seat.holder !== userId
          ? publicSeat(seat)
          : {
              ...publicSeat(seat),
              mine: true,
              ...(seat.expiresAt !== undefined && { expiresAt: new Date(seat.expiresAt).toISOString() }),
            },
      );
    expect(serialized.viewOf('u1').toString()).toBe(JSON.stringify(answered('u1')));
    expect(serialized.viewOf('u2').toString()).toBe(JSON.stringify(answered('u2')));
    expect(serialized.hasSeatsOf('u3')).toBe(false);
    expect(serialized.viewOf('u3')).toBe(serialized.bytes);
  });
});

describe('negotiateEncoding', () => {
  const large = MIN_COMPRESSED_BYTES;
  it.each<[string | undefined, string]>([
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip, deflate, br', 'br'],
    ['gzip, deflate', 'gzip'],
    ['br;q=0.5, gzip', 'gzip'],
    ['br;q=0, gzip;q=0', 'identity'],
    ['*', 'br'],
    ['*;q=0.1, gzip;q=0.9', 'gzip'],
    ['identity', 'identity'],
    ['x-gzip', 'gzip'],
    ['GZIP;Q=1', 'gzip'],
  ])('%j → %s', (header, expected) => {
    expect(negotiateEncoding(header, large)).toBe(expected);
  });

  it('sends a body that fits the first round trip as it is', () => {
    expect(negotiateEncoding('br, gzip', large - 1)).toBe('identity');
  });
});

describe('MapCache', () => {
  let cache: MapCache | undefined;
  afterEach(() => {
    cache?.close();
    vi.useRealTimers();
  });

  it('serializes once per offset: readers at the same head share the map, a new event makes a new one', async () => {
    const store = new SlowStore();
    cache = new MapCache(store.options);
    const first = store.answer(cache.get(3));
    const body = await first;
    expect(await cache.get(3)).toBe(body);
    expect(await cache.get(3)).toBe(body);
    expect(store.reads).toBe(1);
    store.advance();
    const next = store.answer(cache.get(3));
    expect((await next).id).toEqual({ offset: 2, epoch: 'e1' });
    expect(store.reads).toBe(2);
    expect(cache.size).toBe(1); // one map per schedule: the newer replaced the older
  });

  it('within a staleness bound, serves a recent map behind the head: by time, by events, same epoch', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = new SlowStore();
    cache = new MapCache(store.options);
    const behind = { ms: 1_000, events: 3 };
    const body = await store.answer(cache.get(3, behind));
    store.advance();
    store.advance();
    vi.advanceTimersByTime(999);
    expect(await cache.get(3, behind)).toBe(body); // 2 events and 999 ms behind
    const current = store.answer(cache.get(3)); // without a bound: the head
    expect((await current).id.offset).toBe(3);
    expect(store.reads).toBe(2);

    const late = cache.get(3, behind);
    vi.advanceTimersByTime(1_000); // the newest map, read at 999 ms, is 1 s old: read again
    store.advance();
    const stale = store.answer(cache.get(3, behind));
    expect(await late).toBe(await current);
    expect((await stale).id.offset).toBe(4);
    expect(store.reads).toBe(3);

    for (let i = 0; i < 4; i++) store.advance(); // 4 events behind: too many, however recent
    expect((await store.answer(cache.get(3, behind))).id.offset).toBe(8);
    store.head = { offset: 8, epoch: 'e2' }; // another epoch: its ids name other events
    expect((await store.answer(cache.get(3, behind))).id).toEqual({ offset: 8, epoch: 'e2' });
    expect(store.reads).toBe(5);
  });

  it('shares one read among readers of a stale position, and the next among those who saw a newer head', async () => {
    const store = new SlowStore();
    cache = new MapCache(store.options);
    const early = Array.from({ length: 16 }, () => cache!.get(3));
    await settle();
    expect(store.reads).toBe(1);
    store.advance(); // an event while the read is under way: it may not reflect it
    const late = Array.from({ length: 16 }, () => cache!.get(3));
    await settle();
    expect(store.reads).toBe(1); // the next read waits for the one under way
    store.finish();
    const earlyBodies = await Promise.all(early);
    expect(new Set(earlyBodies).size).toBe(1);
    expect(earlyBodies[0]!.id.offset).toBe(1);
    await settle();
    expect(store.reads).toBe(2);
    store.finish();
    const lateBodies = await Promise.all(late);
    expect(new Set(lateBodies).size).toBe(1);
    expect(lateBodies[0]!.id.offset).toBe(2); // no reader gets a map older than the head it saw
  });

  it('keeps no failed read: the next reader reads again', async () => {
    const store = new SlowStore();
    cache = new MapCache(store.options);
    store.failNext = new Error('SCHEDULE_NOT_FOUND');
    const failed = store.answer(cache.get(3));
    await expect(failed).rejects.toThrow('SCHEDULE_NOT_FOUND');
    expect(cache.size).toBe(0);
    const retried = store.answer(cache.get(3));
    expect((await retried).id.offset).toBe(1);
    expect(store.reads).toBe(2);
  });

  it('reads a map at offset 0 again, unless the store gives a schedule created again a new epoch', async () => {
    for (const freshEpochOnCreate of [false, true]) {
      const store = new SlowStore();
      store.head = { offset: 0, epoch: 'e1' };
      cache = new MapCache({ ...store.options, freshEpochOnCreate });
      for (let i = 0; i < 2; i++) {
        const body = cache.get(3);
        await settle();
        store.finish();
        await body;
      }
      expect(store.reads).toBe(freshEpochOnCreate ? 1 : 2);
      cache.close();
    }
  });

  it('compresses once per encoding, and counts the forms and the snapshot frame in its bytes', async () => {
    const store = new SlowStore();
    cache = new MapCache(store.options);
    const pending = store.answer(cache.get(3));
    const body = await pending;
    const raw = cache.bytes;
    expect(raw).toBeGreaterThanOrEqual(body.map.bytes.length);
    const [gzip, again] = await Promise.all([body.encoded('gzip'), body.encoded('gzip')]);
    expect(again).toBe(gzip);
    expect(gunzipSync(gzip)).toEqual(body.map.bytes);
    const br = await body.encoded('br');
    expect(brotliDecompressSync(br)).toEqual(body.map.bytes);
    expect(await body.encoded('identity')).toBe(body.map.bytes);
    expect(cache.bytes).toBe(raw + gzip.length + br.length);
    // Taken as a snapshot, its frame (made by the hub, the JSON's size) counts too.
    expect(body.snapshot).toBe(body.snapshot);
    expect(cache.bytes).toBe(raw + gzip.length + br.length + body.map.bytes.length);
  });

  it('compresses a map soon replaced fast: one read within a second of the schedule’s previous one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 11, 3, 12));
    const layout = { rows: 40, seatsPerRow: 50 };
    let head: EventId = { offset: 1, epoch: 'e' };
    cache = new MapCache({
      head: async () => head,
      read: async (scheduleId) => {
        const seats: SeatState[] = [];
        for (let id = 1; id <= 2_000; id++)
          seats.push({ id, ...seatPosition(layout, id), status: (id * 7919) % 3 === 0 ? 'HELD' : 'AVAILABLE' });
        return { scheduleId, seats, lastEventId: head };
      },
    });
    /** The map at a new offset `afterMs` later, and whether its gzip and br forms are the fast ones. */
    const next = async (afterMs: number) => {
      vi.advanceTimersByTime(afterMs);
      head = { offset: head.offset + 1, epoch: 'e' };
      const body = await cache!.get(3);
      const fast = await Promise.all(
        (['gzip', 'br'] as const).map(async (encoding) => {
          const form = await body.encoded(encoding);
          const [dense, quick] = await Promise.all([
            compress(body.map.bytes, encoding, 'dense'),
            compress(body.map.bytes, encoding, 'fast'),
          ]);
          expect(dense.equals(quick)).toBe(false); // the settings differ for this map
          return form.equals(quick) ? 'fast' : form.equals(dense) ? 'dense' : 'neither';
        }),
      );
      return fast;
    };
    expect(await next(0)).toEqual(['dense', 'dense']); // the schedule's first map
    expect(await next(300)).toEqual(['fast', 'fast']); // its maps change several times a second
    expect(await next(999)).toEqual(['fast', 'fast']);
    expect(await next(1_000)).toEqual(['dense', 'dense']); // the previous one lived a second
  });

  it('keeps the compact runs beside the JSON; each form is one snapshot, its frame counted once taken', async () => {
    const store = new SlowStore();
    cache = new MapCache(store.options);
    const pending = store.answer(cache.get(3));
    const body = await pending;
    const seats = state(3, store.head).seats.map(publicSeat);
    expect(body.map.compactRuns).toBe(encodeCompactRuns(seats));
    const raw = cache.bytes;
    expect(raw).toBeGreaterThanOrEqual(body.map.bytes.length + body.map.compactRuns.length);
    const compact = body.snapshotIn('compact');
    expect(body.snapshotIn('compact')).toBe(compact);
    expect(compact).not.toBe(body.snapshot);
    expect(compact.id).toEqual(body.id);
    expect(compact.data).toBe(encodeCompactSnapshot(3, seats));
    expect(body.snapshotIn('full')).toBe(body.snapshot);
    expect(body.snapshot.data.toString()).toBe(encodeSnapshot(3, seats));
    expect(cache.bytes).toBe(raw + body.map.compactRuns.length + body.map.bytes.length);
  });

  it('drops the map of a schedule nobody read for idleMs, and the least recently read past maxBytes', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    const store = new SlowStore();
    const read = async (id: number) => {
      const body = cache!.get(id);
      await settle();
      store.finish();
      return body;
    };
    cache = new MapCache({ ...store.options, idleMs: 30_000 });
    await read(1);
    await read(2);
    vi.advanceTimersByTime(20_000);
    await read(2); // 2 is read again; 1 is not
    expect(store.reads).toBe(2);
    vi.advanceTimersByTime(15_000);
    expect(cache.size).toBe(1);
    await read(2);
    expect(store.reads).toBe(2); // still cached
    vi.advanceTimersByTime(60_000);
    expect(cache.size).toBe(0); // the sweeper stops with nothing left to sweep
    expect(vi.getTimerCount()).toBe(0);
    cache.close();

    const one = (await read(9)).bytes;
    cache.close();
    cache = new MapCache({ ...store.options, maxBytes: 2 * one + one / 2 });
    await read(1);
    await read(2);
    await read(1); // now 2 is the least recently read
    await read(3);
    expect(cache.size).toBe(2);
    expect(cache.bytes).toBeLessThanOrEqual(2 * one + one / 2);
    const reads = store.reads;
    await read(1);
    await read(3);
    expect(store.reads).toBe(reads); // 1 and 3 stayed
    await read(2);
    expect(store.reads).toBe(reads + 1); // 2 was dropped
  });
});

describe('GET …/seats and snapshots share one map per offset', () => {
  let server: TestServer;
  afterEach(() => server.close());

  /** A raw GET that keeps the encoded body as it came (fetch would decode it). */
  function rawGet(path: string, headers: Record<string, string>) {
    return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      http
        .get(server.url + path, { headers }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }),
          );
        })
        .on('error', reject);
    });
  }

  it('answers br, gzip or identity as negotiated, each the same map, read once per offset', async () => {
    server = await startServer({ adminToken: ADMIN });
    // 1,000 seats, 53 KB: past what compression is worth (the demo's 200 seats are sent as they are).
    const created = await fetch(`${server.url}/api/schedules/9`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rows: 20, seatsPerRow: 50, reserved: [1] }), // an offset past 0
    });
    expect(created.status).toBe(201);
    const guest = await newGuest(server.url);
    const held = await hold(server.url, guest, [5], 9);
    const state = vi.spyOn(server.app.seatstream.seats, 'state');
    const readers = ['br', 'gzip, deflate', 'identity', ''].flatMap((encoding) =>
      Array.from({ length: 4 }, () => rawGet('/api/schedules/9/seats', { 'accept-encoding': encoding })),
    );
    const answers = await Promise.all(readers);
    expect(state).toHaveBeenCalledTimes(1);
    const plain = answers.find((answer) => answer.headers['content-encoding'] === undefined)!.body;
    const map = JSON.parse(plain.toString()) as Array<{ id: number; status: string }>;
    expect(map).toHaveLength(1_000);
    expect(map[4]).toEqual({ id: 5, row: 'A', number: 5, status: 'HELD' }); // an anonymous reader: not mine
    const decoded = (answer: { headers: http.IncomingHttpHeaders; body: Buffer }) => {
      const encoding = answer.headers['content-encoding'];
      if (encoding === 'br') return brotliDecompressSync(answer.body);
      return encoding === 'gzip' ? gunzipSync(answer.body) : answer.body;
    };
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(answer.headers.vary).toMatch(/Accept-Encoding/);
      expect(decoded(answer)).toEqual(plain);
    }
    expect(answers.map((answer) => answer.headers['content-encoding'] ?? 'identity')).toEqual(
      ['br', 'gzip', 'identity', 'identity'].flatMap((encoding) => Array(4).fill(encoding)),
    );
    // The holder's own view is compressed for it alone, from the same read.
    const own = await rawGet('/api/schedules/9/seats', {
      'accept-encoding': 'br',
      authorization: `Bearer ${guest.token}`,
    });
    expect(own.headers['content-encoding']).toBe('br');
    const seats = JSON.parse(decoded(own).toString());
    expect(seats[4]).toEqual({
      id: 5,
      row: 'A',
      number: 5,
      status: 'HELD',
      mine: true,
      expiresAt: held.body.expiresAt,
    });
    expect(seats.filter((seat: { mine?: boolean }) => seat.mine)).toHaveLength(1);
    expect(state).toHaveBeenCalledTimes(1);
  });

  it('marks a buyer’s own seats for it alone; the ETag and 304 stay as they were', async () => {
    server = await startServer();
    const buyer = await newGuest(server.url);
    const other = await newGuest(server.url);
    const held = await hold(server.url, buyer, [5, 6]);
    const auth = (guest: { token: string }) => ({ authorization: `Bearer ${guest.token}` });
    const mine = await get(server.url, '/api/schedules/1/seats', auth(buyer));
    expect(mine.body.slice(4, 7)).toEqual([
      { id: 5, row: 'A', number: 5, status: 'HELD', mine: true, expiresAt: held.body.expiresAt },
      { id: 6, row: 'A', number: 6, status: 'HELD', mine: true, expiresAt: held.body.expiresAt },
      { id: 7, row: 'A', number: 7, status: 'AVAILABLE' },
    ]);
    const theirs = await get(server.url, '/api/schedules/1/seats', auth(other));
    expect(theirs.body[4]).toEqual({ id: 5, row: 'A', number: 5, status: 'HELD' });
    const anyone = await get(server.url, '/api/schedules/1/seats');
    expect(theirs.body).toEqual(anyone.body);
    // The tag names the position and, for a buyer, who asks.
    expect(anyone.headers.get('etag')).toBe(`"${held.body.eventId}"`);
    expect(mine.headers.get('etag')).toMatch(new RegExp(`^"${held.body.eventId}\\.[\\w-]{12}"$`));
    expect(mine.headers.get('etag')).not.toBe(theirs.headers.get('etag'));
    for (const [headers, etag] of [
      [auth(buyer), mine.headers.get('etag')!],
      [{}, anyone.headers.get('etag')!],
    ] as const) {
      const again = await fetch(`${server.url}/api/schedules/1/seats`, {
        headers: { ...headers, 'if-none-match': etag },
      });
      expect(again.status).toBe(304);
    }
  });

  it('gives snapshots a map up to SNAPSHOT_MAX_STALENESS_MS old, then the events after it: no gap', async () => {
    server = await startServer({ snapshotMaxStalenessMs: 60_000, replayLimit: 20 });
    const guest = await newGuest(server.url);
    const map = await get(server.url, '/api/schedules/1/seats');
    const state = vi.spyOn(server.app.seatstream.seats, 'state');
    const held = await hold(server.url, guest, [8, 9]);
    const stream = await SseClient.connect(`${server.url}/api/schedules/1/seats/events?snapshot=true`);
    await stream.waitFor((c) => c.seatEvents().length === 2, 5_000, 'the events after the snapshot');
    expect(state).not.toHaveBeenCalled(); // the map GET read, 2 events behind
    expect(stream.events[0]).toMatchObject({ event: 'snapshot', id: map.headers.get('last-event-id') });
    expect(stream.seatEvents().map((e) => [e.scheduleSeatId, e.status])).toEqual([
      [8, 'HELD'],
      [9, 'HELD'],
    ]);
    expect(stream.seatEvents().at(-1)!.id).toBe(held.body.eventId);
    stream.close();

    // More than half the replay window behind: a stream could not go on from it, so it is read again.
    for (let i = 0; i < 5; i++)
      await hold(server.url, guest, [20 + i]).then(() => release(server.url, guest, [20 + i]));
    const fresh = await SseClient.connect(`${server.url}/api/schedules/1/seats/events?snapshot=true`);
    await fresh.waitFor((c) => c.events.length > 0, 5_000, 'the snapshot');
    expect(state).toHaveBeenCalledTimes(1);
    const { headers } = await get(server.url, '/api/schedules/1/seats');
    expect(fresh.events[0]).toMatchObject({ event: 'snapshot', id: headers.get('last-event-id') });
    fresh.close();
  });

  it("serves an anonymous GET a map up to MAP_MAX_STALENESS_MS old, a buyer's always current", async () => {
    server = await startServer({ mapMaxStalenessMs: 60_000 });
    const guest = await newGuest(server.url);
    const before = await get(server.url, '/api/schedules/1/seats');
    const held = await hold(server.url, guest, [3]);
    const anonymous = await get(server.url, '/api/schedules/1/seats');
    expect(anonymous.headers.get('last-event-id')).toBe(before.headers.get('last-event-id'));
    expect(anonymous.body[2].status).toBe('AVAILABLE');
    const own = await get(server.url, '/api/schedules/1/seats', { authorization: `Bearer ${guest.token}` });
    expect(own.headers.get('last-event-id')).toBe(held.body.eventId);
    expect(own.body[2]).toMatchObject({ status: 'HELD', mine: true });
  });

  it('gives streams that ask for a snapshot the map the GET read, and reads again after an event', async () => {
    // Snapshots of the newest offset only (by default a snapshot may be a moment behind).
    server = await startServer({ snapshotMaxStalenessMs: 0 });
    const guest = await newGuest(server.url);
    await hold(server.url, guest, [5]);
    const state = vi.spyOn(server.app.seatstream.seats, 'state');
    const map = await get(server.url, '/api/schedules/1/seats');
    const streams = await Promise.all(
      [1, 2, 3].map(() => SseClient.connect(`${server.url}/api/schedules/1/seats/events?snapshot=true`)),
    );
    for (const stream of streams) await stream.waitFor((c) => c.events.length > 0, 5_000, 'the snapshot');
    expect(state).toHaveBeenCalledTimes(1);
    for (const stream of streams) {
      const [snapshot] = stream.events;
      expect(snapshot).toMatchObject({ event: 'snapshot', id: map.headers.get('last-event-id') });
      expect(JSON.parse(snapshot!.data)).toEqual({ scheduleId: 1, seats: map.body });
    }
    const held = await hold(server.url, guest, [6]);
    const after = await get(server.url, '/api/schedules/1/seats');
    expect(after.headers.get('last-event-id')).toBe(held.body.eventId);
    expect(after.body[5].status).toBe('HELD');
    expect(state).toHaveBeenCalledTimes(2);
    for (const stream of streams) stream.close();
  });
});
