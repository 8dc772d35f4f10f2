/**
 * W7, a big venue: one seatstream instance with a 100,000-seat schedule and a small one. At the
 * same time: SSE subscribers on the big one and a watcher on the small one while holds flow on
 * both (hold → event delay), anonymous readers looping on `GET …/seats`, `/healthz` polled,
 * `?snapshot=true` opened now and then; the server's RSS throughout. Then the quiet times of a
 * snapshot at a new offset and at the same one, and one-seat hold latency beside 20,000 held seats
 * against an empty venue, on the same server.
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Histogram } from './histogram.js';
import { timedGet } from './http-get.js';
import { cpuMicros, rssBytes } from './proc-stats.js';
import { ADMIN_TOKEN, type ServerHandle } from './processes.js';
import { type Published, post, publishAtRate } from './publisher.js';
import { drain, fmt, SEATS, settledRss, setUp } from './scenario.js';
import type { SnapshotTaken, VenueClientReply, VenueClientRequest } from './venue-client.js';
import { SubscriberPool } from './workers.js';

export interface VenueSpec {
  /** The big schedule's layout (rows × seats per row). */
  rows: number;
  seatsPerRow: number;
  subscribers: number;
  readers: number;
  /** Holds and releases per second on each of the two schedules. */
  rate: number;
  /** One load phase per reader encoding: `Accept-Encoding` and how long. */
  phases: { encoding: string; durationMs: number }[];
  healthzEveryMs: number;
  snapshotEveryMs: number;
  /** Quiet snapshot pairs (a new offset, then the same) after the load. */
  quietSnapshots: number;
  /** Hold latency beside `buyers` × `perBuyer` held seats, `probes` one-seat holds per venue. */
  buyers: number;
  perBuyer: number;
  probes: number;
  workers: number;
}

export interface VenuePhase {
  encoding: string;
  durationMs: number;
  /** Events published on the big schedule, deliveries to its subscribers, hold → event delay. */
  published: number;
  deliveries: number;
  p50Ms: number;
  p99Ms: number;
  misses: number;
  duplicates: number;
  closed: number;
  /** The watcher on the small schedule. */
  watcherDeliveries: number;
  watcherP50Ms: number;
  watcherP99Ms: number;
  watcherMisses: number;
  watcherDuplicates: number;
  /** Holds and releases sent on both schedules. */
  sent: number;
  failedRequests: number;
  /** Failed holds and releases by status (503: refused under load, never applied). */
  failures: Record<number, number>;
  readerGets: number;
  readerGetsPerSecond: number;
  readerMBPerSecond: number;
  readerP50Ms: number;
  readerP99Ms: number;
  readerFailed: number;
  /** The server's CPU over the phase, in cores (1: its event loop is never idle, and more on its other threads). */
  serverCores: number;
  /** Redis's CPU over the phase, in cores, and its commands' own time by command (from INFO). */
  redisCores?: number;
  redisCommands?: Record<string, { calls: number; usec: number }>;
  healthzCount: number;
  healthzP50Ms: number;
  healthzP99Ms: number;
  healthzMaxMs: number;
  /** Snapshots during the load, by whether this client had seen their offset before asking. */
  snapshotNew: number[];
  snapshotSeen: number[];
  snapshotSeats: number;
}

export interface VenueResult {
  scenario: string;
  server: string;
  backend: string;
  seats: number;
  subscribers: number;
  readers: number;
  rate: number;
  phases: VenuePhase[];
  /** After the load, nothing else running: a snapshot after a new event, then again at that offset. */
  quietMissMs: number[];
  quietHitMs: number[];
  rssBeforeMB: number;
  rssPeakMB: number;
  rssAfterMB: number;
  held: number;
  holdEmptyP50Ms: number;
  holdEmptyP99Ms: number;
  holdHeldP50Ms: number;
  holdHeldP99Ms: number;
  holdFailed: number;
}

const CLIENT = fileURLToPath(new URL('./venue-client.ts', import.meta.url));
/** Schedule ids: the big one, the small one, and the two venues of the hold-latency comparison. */
const BIG = 701;
const SMALL = 702;
const EMPTY = 703;
const FULL = 704;
/**
 * The per-buyer cap on the W7 server: above the 1,000 buyers' 20 each, so that the check runs,
 * and above the publisher's cycle of SEATS seats (whose next hold may overtake a release when
 * the server stalls).
 */
const MAX_HOLD = SEATS;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const MB = 2 ** 20;

/** The W7 server's settings beside startSeatstream's (which has no cap). */
export const VENUE_ENV = { MAX_HOLD_PER_USER: String(MAX_HOLD) };

/** The venue client process, with a typed request/answer over IPC. */
function startClient() {
  const child = fork(CLIENT, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const ask = (request: VenueClientRequest) =>
    new Promise<VenueClientReply>((resolve) => {
      child.once('message', (reply: VenueClientReply) => resolve(reply));
      child.send(request);
    });
  const close = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.send({ type: 'close' } satisfies VenueClientRequest);
      setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
    });
  return { ask, close };
}

async function json(server: ServerHandle, path: string, method: string, body?: unknown, token = ADMIN_TOKEN) {
  const response = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** `count` guest sessions, 50 at a time. */
async function sessions(server: ServerHandle, count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i += 50)
    tokens.push(
      ...(await Promise.all(
        Array.from(
          { length: Math.min(50, count - i) },
          async () => (await json(server, '/api/session', 'POST')).token as string,
        ),
      )),
    );
  return tokens;
}

/** `/healthz` every `everyMs` (one at a time) until stopped. */
function pollHealth(url: string, everyMs: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const histogram = new Histogram();
  let running = true;
  let max = 0;
  const loop = (async () => {
    while (running) {
      const got = await timedGet(agent, `${url}/healthz`);
      histogram.record(got.ms);
      max = Math.max(max, got.ms);
      await sleep(Math.max(0, everyMs - got.ms));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      agent.destroy();
      return { histogram, max };
    },
  };
}

/** The server's RSS, sampled every 100 ms until stopped; the highest seen. */
function sampleRss(pid: number) {
  let peak = rssBytes(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 100);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssBytes(pid));
    },
  };
}

/** Redis's CPU so far (seconds) and its commands' calls and time, from INFO. */
async function redisStats(redis: Redis) {
  const info = await redis.info('all');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  const commands: Record<string, { calls: number; usec: number }> = {};
  for (const [, name, calls, usec] of info.matchAll(/^cmdstat_(\w+):calls=(\d+),usec=(\d+)/gm))
    commands[name!] = { calls: Number(calls), usec: Number(usec) };
  return { cpuS: field('used_cpu_user') + field('used_cpu_sys'), commands };
}

/** What Redis did between two readings of redisStats, over `seconds`. */
function redisDelta(before: Awaited<ReturnType<typeof redisStats>>, after: typeof before, seconds: number) {
  const commands: Record<string, { calls: number; usec: number }> = {};
  for (const [name, c] of Object.entries(after.commands)) {
    const calls = c.calls - (before.commands[name]?.calls ?? 0);
    if (calls > 0) commands[name] = { calls, usec: c.usec - (before.commands[name]?.usec ?? 0) };
  }
  return { redisCores: (after.cpuS - before.cpuS) / seconds, redisCommands: commands };
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : NaN;
};

/**
 * One-seat hold (then release) latency, sequential, on the empty venue and on the one with
 * `buyers` × `perBuyer` seats held, interleaved in rounds so that load from elsewhere falls on both.
 */
async function holdLatency(server: ServerHandle, spec: VenueSpec, probeToken: string) {
  const seats = spec.rows * spec.seatsPerRow;
  const buyers = await sessions(server, spec.buyers);
  // The buyers' seats, 20 a request, 32 requests at a time.
  for (let b = 0; b < buyers.length; b += 32)
    await Promise.all(
      buyers.slice(b, b + 32).map((token, k) => {
        const first = (b + k) * spec.perBuyer + 1;
        const seatIds = Array.from({ length: spec.perBuyer }, (_, i) => first + i);
        return json(server, `/api/schedules/${FULL}/seats/hold`, 'POST', { seatIds }, token);
      }),
    );
  const target = { url: server.url, token: probeToken };
  const times = { [EMPTY]: [] as number[], [FULL]: [] as number[] };
  let failed = 0;
  // Probes on seats nobody holds, past the buyers' (the probe's own seat is released each time).
  const seat = Math.min(seats, spec.buyers * spec.perBuyer + 1);
  for (let round = 0; round < 10; round++)
    for (const venue of [EMPTY, FULL] as const)
      for (let i = 0; i < spec.probes / 10; i++) {
        const t0 = process.hrtime.bigint();
        const held = await post(target, `/api/schedules/${venue}/seats/hold`, seat);
        times[venue].push(Number(process.hrtime.bigint() - t0) / 1e6);
        const released = await post(target, `/api/schedules/${venue}/seats/release`, seat);
        if (held.status !== 200 || released.status !== 200) failed++;
      }
  return {
    held: spec.buyers * spec.perBuyer,
    holdEmptyP50Ms: quantile(times[EMPTY], 0.5),
    holdEmptyP99Ms: quantile(times[EMPTY], 0.99),
    holdHeldP50Ms: quantile(times[FULL], 0.5),
    holdHeldP99Ms: quantile(times[FULL], 0.99),
    holdFailed: failed,
  };
}

/** W7 on `server` (started with VENUE_ENV), whose backend is `backend` (at `redisUrl` for Redis). */
export async function venue(
  server: ServerHandle,
  backend: string,
  spec: VenueSpec,
  progress: (line: string) => void,
  redisUrl?: string,
): Promise<VenueResult> {
  const layout = { rows: spec.rows, seatsPerRow: spec.seatsPerRow };
  const seats = spec.rows * spec.seatsPerRow;
  for (const id of [BIG, EMPTY, FULL]) await json(server, `/api/schedules/${id}`, 'PUT', layout);
  const token = await setUp(server, 1, SMALL);
  const probeToken = (await sessions(server, 1))[0]!;
  const pool = await SubscriberPool.start(spec.workers);
  const client = startClient();
  const redis = redisUrl ? new Redis(redisUrl) : undefined;
  const rssBefore = await settledRss(server);
  const rss = sampleRss(server.pid);
  const phases: VenuePhase[] = [];
  const quietMissMs: number[] = [];
  const quietHitMs: number[] = [];
  try {
    const { failed } = await pool.connect(server.port, [...new Array<number>(spec.subscribers).fill(BIG), SMALL]);
    if (failed > 0) throw new Error(`${failed} of W7's connections failed`);
    for (const phase of spec.phases) {
      progress(
        `W7 ${backend}: ${seats} seats, ${spec.subscribers} subscribers, ${spec.readers} readers ` +
          `(${phase.encoding}), ${spec.rate} holds/s on each of 2 schedules …`,
      );
      await pool.reset();
      const { received: receivedBefore } = await pool.received();
      await client.ask({
        type: 'start',
        url: server.url,
        schedule: BIG,
        readers: spec.readers,
        encoding: phase.encoding,
        snapshotEveryMs: spec.snapshotEveryMs,
      });
      const health = pollHealth(server.url, spec.healthzEveryMs);
      const redisBefore = redis && (await redisStats(redis));
      const cpuBefore = cpuMicros(server.pid);
      const phaseStart = process.hrtime.bigint();
      const run = await publishAtRate(
        { url: server.url, token },
        {
          schedules: [BIG, SMALL],
          rate: spec.rate * 2,
          durationMs: phase.durationMs,
          seats: SEATS,
          counters: server.counters,
        },
      );
      const [readers, healthz] = await Promise.all([client.ask({ type: 'stop' }), health.stop()]);
      const phaseSeconds = Number(process.hrtime.bigint() - phaseStart) / 1e9;
      const serverCores = (cpuMicros(server.pid) - cpuBefore) / 1e6 / phaseSeconds;
      const redisUse = redis && redisBefore && redisDelta(redisBefore, await redisStats(redis), phaseSeconds);
      if (readers.type !== 'stopped') throw new Error('the venue client did not report');
      const big = run.published[BIG]?.times.length ?? 0;
      const small = run.published[SMALL]?.times.length ?? 0;
      await drain(pool, receivedBefore, big * spec.subscribers + small);
      // One schedule at a time: the subscribers of the other are skipped by collect.
      const only = (id: number): Published => (run.published[id] ? { [id]: run.published[id] } : {});
      const onBig = await pool.collect(only(BIG));
      const onSmall = await pool.collect(only(SMALL));
      const readerHistogram = new Histogram(readers.histogram);
      const ms = (s: SnapshotTaken) => s.ms;
      const result: VenuePhase = {
        encoding: phase.encoding,
        durationMs: phase.durationMs,
        published: big,
        deliveries: onBig.deliveries,
        p50Ms: onBig.histogram.quantile(0.5),
        p99Ms: onBig.histogram.quantile(0.99),
        misses: onBig.misses,
        duplicates: onBig.duplicates,
        closed: onBig.closed,
        watcherDeliveries: onSmall.deliveries,
        watcherP50Ms: onSmall.histogram.quantile(0.5),
        watcherP99Ms: onSmall.histogram.quantile(0.99),
        watcherMisses: onSmall.misses,
        watcherDuplicates: onSmall.duplicates,
        sent: run.sent,
        failedRequests: run.failed,
        failures: run.failures,
        readerGets: readers.gets,
        readerGetsPerSecond: readers.gets / readers.seconds,
        readerMBPerSecond: readers.bytes / MB / readers.seconds,
        readerP50Ms: readerHistogram.quantile(0.5),
        readerP99Ms: readerHistogram.quantile(0.99),
        readerFailed: readers.failed,
        serverCores,
        ...redisUse,
        healthzCount: healthz.histogram.count,
        healthzP50Ms: healthz.histogram.quantile(0.5),
        healthzP99Ms: healthz.histogram.quantile(0.99),
        healthzMaxMs: healthz.max,
        snapshotNew: readers.snapshots.filter((s) => !s.seen).map(ms),
        snapshotSeen: readers.snapshots.filter((s) => s.seen).map(ms),
        snapshotSeats: readers.snapshotSeats,
      };
      const snaps = [...result.snapshotNew, ...result.snapshotSeen];
      progress(
        `  → hold→event p50 ${fmt(result.p50Ms)} / p99 ${fmt(result.p99Ms)} ms (watcher p99 ` +
          `${fmt(result.watcherP99Ms)}), misses ${result.misses + result.watcherMisses}, duplicates ` +
          `${result.duplicates + result.watcherDuplicates}; ${fmt(result.readerGetsPerSecond)} GETs/s ` +
          `(${fmt(result.readerMBPerSecond)} MB/s) p50 ${fmt(result.readerP50Ms)} / ` +
          `p99 ${fmt(result.readerP99Ms)} ms; ` +
          `/healthz p99 ${fmt(result.healthzP99Ms)} ms; ` +
          `${snaps.length} snapshots, max ${fmt(Math.max(...snaps))} ms; ` +
          `server ${fmt(serverCores, 2)} cores` +
          (redisUse ? `, Redis ${fmt(redisUse.redisCores, 2)} cores` : '') +
          (run.failed ? `; failed requests by status ${JSON.stringify(run.failures)}` : ''),
      );
      phases.push(result);
    }
    // Quiet snapshots: one after a new event (nobody has its map), then one at the same offset.
    for (let i = 0; i < spec.quietSnapshots; i++) {
      await post({ url: server.url, token: probeToken }, `/api/schedules/${BIG}/seats/hold`, seats - i);
      for (const into of [quietMissMs, quietHitMs]) {
        const answer = await client.ask({ type: 'snapshot', url: server.url, schedule: BIG });
        if (answer.type === 'snapshot' && answer.taken) into.push(answer.taken.ms);
      }
    }
  } finally {
    redis?.disconnect();
    await Promise.all([pool.close(), client.close()]);
  }
  progress(
    `W7 ${backend}: one-seat holds beside ${spec.buyers} × ${spec.perBuyer} held seats, and on an empty venue …`,
  );
  const holds = await holdLatency(server, spec, probeToken);
  const rssPeak = rss.stop();
  const rssAfter = await settledRss(server);
  const result: VenueResult = {
    scenario: 'W7',
    server: server.name,
    backend,
    seats,
    subscribers: spec.subscribers,
    readers: spec.readers,
    rate: spec.rate,
    phases,
    quietMissMs,
    quietHitMs,
    rssBeforeMB: rssBefore / MB,
    rssPeakMB: rssPeak / MB,
    rssAfterMB: rssAfter / MB,
    ...holds,
  };
  progress(
    `  → quiet snapshot ${quietMissMs.map((v) => fmt(v, 0)).join('/')} ms (new offset), ` +
      `${quietHitMs.map((v) => fmt(v, 0)).join('/')} ms (same); RSS ${fmt(result.rssBeforeMB, 0)} → ` +
      `${fmt(result.rssPeakMB, 0)} → ${fmt(result.rssAfterMB, 0)} MB; hold p50 ${fmt(holds.holdEmptyP50Ms, 2)} ms ` +
      `empty, ${fmt(holds.holdHeldP50Ms, 2)} ms beside ${holds.held} held`,
  );
  return result;
}
