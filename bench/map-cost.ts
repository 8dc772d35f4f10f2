/**
 * What a 100,000-seat map costs (docs/benchmarks.md, "Big venues: one map per offset"): the time
 * to build each form of it and the bytes each keeps, then the same map through a real server on
 * each backend (a cache miss, a hit, a snapshot). `node --expose-gc --import tsx bench/map-cost.ts` (about
 * a minute; without `--expose-gc` memory is only counted, without redis-server the Redis part is left out).
 */
import { performance } from 'node:perf_hooks';
import { EventSource } from 'eventsource';
import { MapCache } from '../src/http/map-cache.js';
import { compress } from '../src/http/content-encoding.js';
import { sseCodec } from '../src/http/sse/sse-codec.js';
import { PublicMap } from '../src/seats/public-map.js';
import { type ScheduleState, type SeatState, seatPosition } from '../src/seats/seat.js';
import { redisServerAvailable, startRedis } from '../test/support/redis-server.js';
import { startServer } from '../test/support/server.js';

const LAYOUT = { rows: 400, seatsPerRow: 250 };
const SEATS = LAYOUT.rows * LAYOUT.seatsPerRow;
const RUNS = 7;
const ADMIN = 'bench-admin-token-0123456789';

/** Median of `RUNS` timings (ms) of `run`, and its last result. */
async function timed<T>(run: () => T | Promise<T>): Promise<{ ms: number; result: T }> {
  const times: number[] = [];
  let result!: T;
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    result = await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(RUNS / 2)]!, result };
}

/** An arena before its on-sale (every seat available), or during it: 40 % sold, 5 % held by 5,000 buyers. */
function arena(onSale: boolean): ScheduleState {
  const seats: SeatState[] = [];
  for (let id = 1; id <= SEATS; id++) {
    const base = { id, ...seatPosition(LAYOUT, id) };
    const r = (id * 7919) % 100; // spread, repeatable
    if (!onSale || r >= 45) seats.push({ ...base, status: 'AVAILABLE' });
    else if (r < 40) seats.push({ ...base, status: 'RESERVED', holder: `buyer-${id % 20_000}` });
    else seats.push({ ...base, status: 'HELD', holder: `guest-${id % 5_000}`, expiresAt: Date.now() + 300_000 });
  }
  return { scheduleId: 1, seats, lastEventId: { offset: 42, epoch: 'bench' } };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const ms = (value: number) => `${value.toFixed(1)} ms`;

async function forms(): Promise<void> {
  console.log(`\n## Forms of a ${SEATS.toLocaleString('en')}-seat map (median of ${RUNS}, in-process)\n`);
  console.log('| map | form | bytes | time to build |');
  console.log('| --- | --- | ---: | ---: |');
  const codec = sseCodec('both');
  for (const onSale of [false, true]) {
    const name = onSale ? 'on sale (45 % taken)' : 'all available';
    const state = arena(onSale);
    await measured(name, state);
    const built = await timed(() => new PublicMap(state));
    const map = built.result;
    console.log(`| ${name} | JSON (raw) | ${kb(map.bytes.length)} | ${ms(built.ms)} |`);
    for (const [encoding, density] of [
      ['gzip', 'dense'],
      ['br', 'dense'],
      ['gzip', 'fast'],
      ['br', 'fast'],
    ] as const) {
      const { ms: took, result } = await timed(() => compress(map.bytes, encoding, density));
      const label =
        density === 'dense'
          ? `${encoding} (dense: once per offset)`
          : `${encoding} (fast: a buyer's view, a map soon replaced)`;
      console.log(`| ${name} | ${label} | ${kb(result.length)} | ${ms(took)} |`);
    }
    const cache = new MapCache({ head: async () => state.lastEventId, read: async () => state });
    const body = await cache.get(1);
    const frame = await timed(() => Buffer.from(codec.snapshot('schedule:1', body.snapshot)));
    console.log(`| ${name} | SSE snapshot frame | ${kb(frame.result.length)} | ${ms(frame.ms)} |`);
    if (onSale) {
      const buyer = state.seats.find((seat) => seat.status === 'HELD')!.holder!;
      const marked = state.seats.filter((seat) => seat.holder === buyer).length;
      const view = await timed(() => map.viewOf(buyer));
      console.log(
        `| ${name} | one buyer's view (${marked} seats marked) | ${kb(view.result.length)} | ${ms(view.ms)} |`,
      );
      console.log(`| ${name} | holders' seats (kept for views) | ${kb(map.extraBytes)} | (with the JSON) |`);
    }
    await Promise.all([body.encoded('gzip'), body.encoded('br')]);
    console.log(`| ${name} | **counted by the cache (all of the above)** | **${kb(cache.bytes)}** | |`);
    cache.close();
  }
}

/**
 * What one cached map takes from the process, measured rather than counted (with `--expose-gc`):
 * the buffers outside the heap and the heap, after each step. A regex is run before each reading:
 * V8 keeps the last string a regex matched, which may be a snapshot's text made just before.
 */
async function measured(name: string, state: ScheduleState): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  const reading = () => {
    /x/.exec('x');
    gc();
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    return { heapUsed, arrayBuffers };
  };
  let last = reading();
  const step = (what: string) => {
    const now = reading();
    const buffers = kb(now.arrayBuffers - last.arrayBuffers);
    console.log(
      `| ${name} | measured: ${what} (buffers / heap) | ${buffers} / ${kb(now.heapUsed - last.heapUsed)} | |`,
    );
    last = now;
  };
  const cache = new MapCache({ head: async () => state.lastEventId, read: async () => state });
  const body = await cache.get(1);
  step('the map (JSON, holders)');
  await Promise.all([body.encoded('gzip'), body.encoded('br')]);
  step('gzip + br');
  const frame = Buffer.from(sseCodec('both').snapshot('schedule:1', body.snapshot));
  step('the snapshot frame');
  cache.close();
  frame.fill(0); // still referenced until here
}

/** A 100,000-seat schedule through a real server: GET misses and hits per encoding, and snapshots. */
async function endToEnd(backend: 'memory' | 'redis'): Promise<void> {
  const redis = backend === 'redis' ? await startRedis() : undefined;
  const server = await startServer({ adminToken: ADMIN, demo: false, ...(redis && { redisUrl: redis.url }) });
  try {
    const reserved = arena(true)
      .seats.filter((seat) => seat.status === 'RESERVED')
      .map((seat) => seat.id);
    // The import takes 10,000 seats a request: the arena's sold seats in a few of them.
    for (let from = 0; from < reserved.length; from += 10_000) {
      const put = await fetch(`${server.url}/api/schedules/1`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...LAYOUT, reserved: reserved.slice(from, from + 10_000) }),
      });
      if (put.status !== 201 && put.status !== 200) throw new Error(`PUT: ${put.status} ${await put.text()}`);
    }
    const { seats } = server.app.seatstream;
    const read = await timed(() => seats.state(1));
    console.log(
      `\n## Through a real server, ${backend} backend (${reserved.length.toLocaleString('en')} seats reserved)\n`,
    );
    console.log(`store read (state of ${SEATS.toLocaleString('en')} seats): ${ms(read.ms)}\n`);
    console.log('| GET /seats | miss (a new offset) | hit (same offset) | bytes |');
    console.log('| --- | ---: | ---: | ---: |');
    let released = 0;
    /** A new event (the service releases a sold seat): the next read misses. */
    const change = async () => {
      const body = JSON.stringify({ seatIds: [reserved[released++]] });
      const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
      const reply = await fetch(`${server.url}/api/schedules/1/seats/release`, { method: 'POST', headers, body });
      if (reply.status !== 200) throw new Error(`release: ${reply.status}`);
    };
    const getOnce = async (encoding: string) => {
      const start = performance.now();
      const response = await fetch(`${server.url}/api/schedules/1/seats`, { headers: { 'accept-encoding': encoding } });
      const bytes = Number(response.headers.get('content-length'));
      await response.arrayBuffer();
      return { ms: performance.now() - start, bytes };
    };
    for (const encoding of ['identity', 'gzip', 'br']) {
      const misses: number[] = [];
      const hits: number[] = [];
      let bytes = 0;
      for (let i = 0; i < RUNS; i++) {
        await change();
        misses.push((await getOnce(encoding)).ms);
        const hit = await getOnce(encoding);
        hits.push(hit.ms);
        bytes = hit.bytes;
      }
      const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      console.log(`| ${encoding} | ${ms(median(misses))} | ${ms(median(hits))} | ${kb(bytes)} |`);
    }
    /** From opening an EventSource to its `snapshot` event: connect, read (or not), write, parse. */
    const snapshot = async () => {
      const start = performance.now();
      const source = new EventSource(`${server.url}/api/schedules/1/seats/events?snapshot=true`);
      await new Promise((resolve, reject) => {
        source.addEventListener('snapshot', resolve, { once: true });
        source.addEventListener('error', reject, { once: true });
      });
      source.close();
      return performance.now() - start;
    };
    await change();
    const miss = await snapshot();
    const hit = await snapshot();
    console.log(
      `\n?snapshot=true, until the whole snapshot is parsed: ${ms(miss)} (a new offset), ${ms(hit)} (cached)`,
    );
  } finally {
    await server.close();
    await redis?.stop();
  }
}

await forms();
await endToEnd('memory');
if (redisServerAvailable()) await endToEnd('redis');
else console.log('\n(no redis-server on PATH: the Redis backend was not measured)');
