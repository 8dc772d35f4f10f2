import { cpuMicros, rssBytes } from './proc-stats.js';
import { ADMIN_TOKEN, type ServerHandle } from './processes.js';
import { publishAtRate } from './publisher.js';
import { SubscriberPool } from './workers.js';

export interface FanoutResult {
  scenario: string;
  server: string;
  subscribers: number;
  schedules: number;
  rate: number;
  published: number;
  deliveries: number;
  deliveredPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuMicrosPerDelivery: number;
  misses: number;
  duplicates: number;
  /** Connections the server closed during the run (slow-reader protection, crashes). */
  closed: number;
  failedRequests: number;
}

export interface IdleResult {
  scenario: string;
  server: string;
  /** Connections open before the first reading (not measured). */
  held: number;
  /** Connections opened between the readings. */
  connections: number;
  failed: number;
  rssPerConnectionKB: number;
  connectP50Ms: number;
  connectP99Ms: number;
}

export interface RestResult {
  scenario: string;
  /** Which server: the backend, and whether the demo page is served. */
  server: string;
  /** RSS once the process has sat idle for `idleMs` after its first answer. */
  rssMB: number;
  idleMs: number;
}

/**
 * W0: the server at rest: RSS after its first answer, `idleMs` of nothing, and a full collection
 * (settledRss). Start-up's garbage leaves the heap large for a while; V8's memory reducer gives it
 * back after some seconds idle, but not at a time one can count on (a plain reading 20 s after
 * start varied from 72 to 102 MB on Redis), so the collection is forced, as W1's readings are.
 */
export async function atRest(
  scenario: string,
  server: ServerHandle,
  label: string,
  idleMs: number,
): Promise<RestResult> {
  await (await fetch(`${server.url}/healthz`)).arrayBuffer();
  await new Promise((resolve) => setTimeout(resolve, idleMs));
  return { scenario, server: label, rssMB: (await settledRss(server)) / 2 ** 20, idleMs };
}

/** Seats per schedule in every scenario (one row), so runs on one server agree on the layout. */
export const SEATS = 200;

/** Creates schedules 1..count (the baseline accepts and ignores the call) and returns a token. */
export async function setUp(server: ServerHandle, count: number, firstId = 1): Promise<string> {
  for (let id = firstId; id < firstId + count; id += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, firstId + count - id) }, (_, k) =>
        fetch(`${server.url}/api/schedules/${id + k}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ rows: 1, seatsPerRow: SEATS }),
        }).then((r) => r.arrayBuffer()),
      ),
    );
  }
  // One session per server: seats held in one run must be released by the same user in the next.
  server.token ??= (
    (await (await fetch(`${server.url}/api/session`, { method: 'POST' })).json()) as { token: string }
  ).token;
  return server.token;
}

function percentile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : NaN;
}

/** RSS of the server with no garbage on its heap: a full collection, a pause, another. */
export async function settledRss(server: ServerHandle): Promise<number> {
  await server.gc();
  // The collector hands freed pages back on background threads; let them finish.
  await new Promise((resolve) => setTimeout(resolve, 200));
  await server.gc();
  return rssBytes(server.pid);
}

/**
 * W1: what one more idle connection costs in RSS, and connect time. `held` connections are opened
 * first and kept open: they take up what start-up left free in the allocators (freed memory a
 * process keeps and hands out again, which would otherwise be charged to nobody) and bring the
 * code and structures made once per process. Then RSS is read, `connections` more are opened, and
 * RSS is read again; both readings come after a forced full collection, so their difference is
 * what the new connections keep, not garbage that happened to be on the heap at one of them.
 * (Measured from a fresh process instead, a small run's figure swung from 2 to 26 KB per
 * connection with the collections, and once went negative without them.)
 */
export async function idle(
  scenario: string,
  server: ServerHandle,
  held: number,
  connections: number,
  workers: number,
): Promise<IdleResult> {
  await setUp(server, 1);
  const pool = await SubscriberPool.start(workers);
  try {
    const warm = await pool.connect(server.port, new Array<number>(held).fill(1));
    if (warm.failed > 0) throw new Error(`${warm.failed} of W1's held connections to ${server.name} failed`);
    const before = await settledRss(server);
    const { connectMs, failed } = await pool.connect(server.port, new Array<number>(connections).fill(1));
    const after = await settledRss(server);
    connectMs.sort((a, b) => a - b);
    return {
      scenario,
      server: server.name,
      held,
      connections,
      failed,
      rssPerConnectionKB: (after - before) / 1024 / connectMs.length,
      connectP50Ms: percentile(connectMs, 0.5),
      connectP99Ms: percentile(connectMs, 0.99),
    };
  } finally {
    await pool.close();
  }
}

export interface FanoutSpec {
  scenario: string;
  subscribers: number;
  schedules: number;
  rates: number[];
  durationMs: number;
  workers: number;
}

/**
 * W2–W4: `subscribers` connections spread over `schedules` (and over `servers`), then for each
 * rate a burst of real hold/release requests to the first server; measures every delivery.
 */
export async function fanout(
  servers: ServerHandle[],
  spec: FanoutSpec,
  progress: (line: string) => void,
): Promise<FanoutResult[]> {
  const [publisher] = servers;
  const token = await setUp(publisher!, spec.schedules);
  const pool = await SubscriberPool.start(spec.workers);
  const results: FanoutResult[] = [];
  try {
    const perServer = Math.ceil(spec.subscribers / servers.length);
    for (const [s, server] of servers.entries()) {
      const count = Math.min(perServer, spec.subscribers - s * perServer);
      const schedules = Array.from({ length: count }, (_, i) => ((s * perServer + i) % spec.schedules) + 1);
      const { failed } = await pool.connect(server.port, schedules);
      if (failed > 0) throw new Error(`${failed} connections to ${server.name} failed`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const name = servers.length > 1 ? `${publisher!.name} ×${servers.length}` : publisher!.name;
    for (const rate of spec.rates) {
      progress(
        `${spec.scenario} ${name}: ${spec.subscribers} subscribers, ${spec.schedules} schedule(s), ${rate} events/s …`,
      );
      await pool.reset();
      const { received: receivedBefore } = await pool.received();
      const cpuBefore = servers.reduce((sum, s) => sum + cpuMicros(s.pid), 0);
      const run = await publishAtRate(
        { url: publisher!.url, token },
        {
          schedules: Array.from({ length: spec.schedules }, (_, i) => i + 1),
          rate,
          durationMs: spec.durationMs,
          seats: SEATS,
          counters: publisher!.counters,
        },
      );
      const published = Object.values(run.published).reduce((n, p) => n + p.times.length, 0);
      await drain(pool, receivedBefore, (published * spec.subscribers) / spec.schedules);
      const cpu = servers.reduce((sum, s) => sum + cpuMicros(s.pid), 0) - cpuBefore;
      const collected = await pool.collect(run.published);
      const seconds = (collected.lastReceiveNs - run.startNs) / 1e9;
      const result: FanoutResult = {
        scenario: spec.scenario,
        server: name,
        subscribers: spec.subscribers,
        schedules: spec.schedules,
        rate,
        published,
        deliveries: collected.deliveries,
        deliveredPerSecond: collected.deliveries / Math.max(seconds, spec.durationMs / 1000),
        p50Ms: collected.histogram.quantile(0.5),
        p99Ms: collected.histogram.quantile(0.99),
        cpuMicrosPerDelivery: cpu / Math.max(1, collected.deliveries),
        misses: collected.misses,
        duplicates: collected.duplicates,
        closed: collected.closed,
        failedRequests: run.failed,
      };
      progress(
        `  → ${fmt(result.deliveredPerSecond, 0)} deliveries/s, ` +
          `p50 ${fmt(result.p50Ms)} ms, p99 ${fmt(result.p99Ms)} ms, ` +
          `${fmt(result.cpuMicrosPerDelivery)} µs CPU/delivery, ` +
          `misses ${result.misses}, duplicates ${result.duplicates}` +
          (result.failedRequests ? `, ${result.failedRequests} failed requests` : ''),
      );
      results.push(result);
    }
  } finally {
    await pool.close();
  }
  return results;
}

/** Waits until `expected` more events than `receivedBefore` arrived, or nothing new came for 2 s (capped at 60 s). */
export async function drain(pool: SubscriberPool, receivedBefore: number, expected: number): Promise<void> {
  let last = -1;
  let stableSince = Date.now();
  const drainStart = Date.now();
  for (;;) {
    const { received } = await pool.received();
    if (received - receivedBefore >= expected) break;
    if (received !== last) {
      last = received;
      stableSince = Date.now();
    } else if (Date.now() - stableSince > 2_000) break;
    if (Date.now() - drainStart > 60_000) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function fmt(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}
