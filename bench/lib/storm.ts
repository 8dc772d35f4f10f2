/**
 * W6, reconnect storms: subscribers of one schedule, holds flowing at a steady rate; then every
 * storm client drops at once (or its instance is SIGKILLed) and reopens with `Last-Event-ID`.
 * Measured: when each storm client is back (its 200) and caught up (it has every event that was
 * acknowledged before its reopening request, without a gap), the server CPU the storm cost,
 * failed attempts and listen-queue overflows, and the delivery delay of the subscribers that
 * stayed, before and during the storm. Every client's ids must be contiguous up to the last
 * event published (the sentinel).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { busScripts } from '../../src/backends/redis/scripts.js';
import { monitorRedis } from '../../test/support/redis-server.js';
import { Histogram } from './histogram.js';
import { cpuMicros } from './proc-stats.js';
import type { ServerHandle } from './processes.js';
import { post } from './publisher.js';
import { SEATS, setUp } from './scenario.js';
import type { StormClient, StormPublished } from './subscriber-worker.js';
import { SubscriberPool } from './workers.js';

export interface StormSpec {
  scenario: string;
  /** Connections that drop and come back. */
  clients: number;
  /** Connections that stay connected throughout (their delivery delay is measured). */
  stayers: number;
  rate: number;
  /** Publishing before the storm (the steady state it is compared with). */
  steadyMs: number;
  /** Publishing after every storm client is back, before the last (sentinel) event. */
  tailMs: number;
  /** Waiting for the storm to end gives up after this long. */
  timeoutMs: number;
  workers: number;
  schedule: number;
}

export interface StormResult {
  scenario: string;
  server: string;
  clients: number;
  stayers: number;
  rate: number;
  /** Distinct ids the storm clients held when they dropped (what single-flight reads can share). */
  positions: number;
  /** From the drop (or the SIGKILL): until 99 % and 100 % of the storm clients had their 200 again. */
  reopened99Ms: number;
  reopenedAllMs: number;
  /** … and until they had every event acknowledged before their reopening request, without a gap. */
  caughtUp99Ms: number;
  caughtUpAllMs: number;
  notReopened: number;
  notCaughtUp: number;
  /** Over every storm client's whole run: events skipped, received twice; clients without the sentinel. */
  gaps: number;
  duplicates: number;
  sentinelMissing: number;
  /** Reopening attempts refused, reset or answered with another status than 200. */
  failures: number;
  /** TcpExtListenOverflows and TcpExtListenDrops during the storm (the whole host's network namespace). */
  listenOverflows: number;
  listenDrops: number;
  /** Server CPU from the drop until every client was back (caught up where the server resumes). */
  stormWindowMs: number;
  stormCpuMs: number;
  /** CPU per second before the storm, at the same rate and connection count. */
  steadyCpuMsPerS: number;
  /** stormCpuMs minus what the steady state costs over the same window: the reconnects' own cost. */
  excessCpuMs: number;
  stayP50BeforeMs: number;
  stayP99BeforeMs: number;
  stayP50DuringMs: number;
  stayP99DuringMs: number;
  /**
   * The stayers' delay from the change itself (arrival − the event's `timestamp`, when the server
   * applied it): live delivery alone, without the time the hold request waited to be read.
   */
  stayChangeP99BeforeMs: number;
  stayChangeP99DuringMs: number;
  /** The holds' own latency (send → answer), by the same windows of send times. */
  holdP99BeforeMs: number;
  holdP99DuringMs: number;
  /** Holds sent during the storm, and those of them answered after more than SLOW_HOLD_MS. */
  holdsDuring: number;
  slowHoldsDuring: number;
  stayGaps: number;
  stayDuplicates: number;
  staySentinelMissing: number;
  /** The storm window [drop, end] in ns of CLOCK_MONOTONIC, to cut a server's CPU profile (BENCH_CPU_PROF=1) to it. */
  windowNs: [number, number];
  /** Redis only: bus-read-after.lua calls from the drop to the end, for `clients` resumes. */
  historyReads?: number;
  failedRequests: number;
}

/** A hold answered later than this waited on something more than a busy turn (the accept queue, in practice). */
const SLOW_HOLD_MS = 200;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => Number(process.hrtime.bigint());

/** Holds and releases at a steady rate until stopped; each event's send and acknowledgement time, by offset. */
class SteadyPublisher {
  readonly sent = new Map<number, number>();
  readonly acked = new Map<number, number>();
  failed = 0;
  /** Failed requests by status (0: no answer; 200: an answer without an event id). */
  readonly failures: Record<number, number> = {};
  private count = 0;
  private readonly inflight = new Set<Promise<void>>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly target: { url: string; token: string },
    private readonly schedule: number,
    rate: number,
    private readonly counters: Map<number, number>,
  ) {
    const started = Date.now();
    this.timer = setInterval(() => {
      const due = Math.floor((rate * (Date.now() - started)) / 1000);
      while (this.count < due) this.fire();
    }, 2);
  }

  private fire(): void {
    this.count++;
    const i = this.counters.get(this.schedule) ?? 0;
    this.counters.set(this.schedule, i + 1);
    const op = Math.floor(i / SEATS) % 2 === 0 ? 'hold' : 'release';
    const at = now();
    const request = post(this.target, `/api/schedules/${this.schedule}/seats/${op}`, (i % SEATS) + 1).then(
      ({ status, eventId }) => {
        if (status !== 200 || !eventId) {
          this.failed++;
          this.failures[status] = (this.failures[status] ?? 0) + 1;
          return;
        }
        const offset = Number(eventId.split('@')[0]);
        this.sent.set(offset, at);
        this.acked.set(offset, now());
      },
    );
    this.inflight.add(request);
    void request.finally(() => this.inflight.delete(request));
  }

  /** Latency (send → answer, ms) of the requests sent within each window, one histogram per window. */
  latencies(windows: [number, number][]): Histogram[] {
    const histograms = windows.map(() => new Histogram());
    for (const [offset, ackedAt] of this.acked) {
      const sentAt = this.sent.get(offset)!;
      for (const [w, [from, to]] of windows.entries())
        if (sentAt >= from && sentAt < to) histograms[w]!.record((ackedAt - sentAt) / 1e6);
    }
    return histograms;
  }

  /** The highest offset acknowledged at or before `ns`. */
  ackedBy(ns: number): number {
    let highest = -1;
    for (const [offset, at] of this.acked) if (at <= ns && offset > highest) highest = offset;
    return highest;
  }

  async stop(): Promise<StormPublished> {
    clearInterval(this.timer);
    await Promise.all(this.inflight);
    const offsets = [...this.acked.keys()];
    const first = Math.min(...offsets);
    const sentinel = Math.max(...offsets);
    const sent: number[] = [];
    const acked: number[] = [];
    for (let o = first; o <= sentinel; o++) {
      sent.push(this.sent.get(o) ?? 0);
      acked.push(this.acked.get(o) ?? 0);
    }
    return { first, sent, acked, sentinel };
  }
}

/** A process's CPU time, sampled every 50 ms, read back at any moment in between. */
class CpuSampler {
  private readonly samples: [number, number][] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), 50);
  }

  private sample(): void {
    try {
      this.samples.push([now(), cpuMicros(this.pid)]);
    } catch {
      // the process is gone
    }
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }

  /** CPU µs at `ns`, interpolated between the samples around it. */
  at(ns: number): number {
    const s = this.samples;
    if (ns <= s[0]![0]) return s[0]![1];
    for (let i = 1; i < s.length; i++) {
      const [t1, c1] = s[i]!;
      if (t1 < ns) continue;
      const [t0, c0] = s[i - 1]!;
      return c0 + ((c1 - c0) * (ns - t0)) / Math.max(1, t1 - t0);
    }
    return s[s.length - 1]![1];
  }
}

/** TcpExt ListenOverflows and ListenDrops (what `nstat -az TcpExtListenOverflows` reads). */
function listenCounters(): { overflows: number; drops: number } {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const header = lines.findIndex((l) => l.startsWith('TcpExt:'));
  const names = lines[header]!.split(/\s+/);
  const values = lines[header + 1]!.split(/\s+/).map(Number);
  return {
    overflows: values[names.indexOf('ListenOverflows')] ?? 0,
    drops: values[names.indexOf('ListenDrops')] ?? 0,
  };
}

/** Counts bus-read-after.lua calls on a Redis, through a MONITOR connection, until stopped. */
async function countHistoryReads(url: string): Promise<{ stop(): Promise<number> }> {
  const sha = createHash('sha1').update(busScripts().busReadAfter.lua).digest('hex');
  const monitor = await monitorRedis(url);
  let reads = 0;
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (args[0] === 'evalsha' ? args[1] === sha : args[0] === 'eval' && args[1]!.includes('bus-read-after')) reads++;
  });
  return {
    async stop() {
      // What Redis ran before now is reported before the answer to this command is.
      const marker = `bench-${Math.random()}`;
      const probe = new Redis(url);
      probe.on('error', () => undefined);
      const seen = new Promise<void>((resolve) =>
        monitor.on('monitor', (_time: string, args: string[]) => args[1] === marker && resolve()),
      );
      await probe.echo(marker);
      await Promise.race([seen, sleep(2_000)]);
      probe.disconnect();
      monitor.disconnect();
      return reads;
    },
  };
}

/** Times from `t0` (ms) until 99 % and 100 % of `clients` reached `pick`, and how many never did. */
function spread(clients: StormClient[], pick: (c: StormClient) => number, t0: number) {
  const times = clients
    .map(pick)
    .filter((ns) => ns > 0)
    .map((ns) => (ns - t0) / 1e6)
    .sort((a, b) => a - b);
  const missing = clients.length - times.length;
  // 99 % of all clients, not of those that made it.
  const p99 = times.length >= Math.ceil(0.99 * clients.length) ? times[Math.ceil(0.99 * clients.length) - 1]! : NaN;
  return { p99, all: missing === 0 ? times[times.length - 1]! : NaN, missing };
}

/**
 * W6 on `servers`: the storm clients connect to `from`, the stayers to `to`, holds go to `to`;
 * then the storm clients drop (`kill`: `from` gets SIGKILL) and reopen to `to`. One server:
 * from = to, and the clients drop their own connections.
 */
export async function storm(
  spec: StormSpec,
  servers: { name: string; from: ServerHandle; to: ServerHandle; kill: boolean; resumes: boolean; redisUrl?: string },
  progress: (line: string) => void,
): Promise<StormResult> {
  const { from, to } = servers;
  const token = await setUp(to, 1, spec.schedule);
  const pool = await SubscriberPool.start(spec.workers);
  try {
    // The stayers have a worker of their own: a worker busy reconnecting storm clients would read
    // its stayers late, and their delay would be the client's, not the server's.
    const workers = Array.from({ length: pool.size }, (_, w) => w);
    const stay = await pool.connect(to.port, new Array<number>(spec.stayers).fill(spec.schedule), 'stay', [0], true);
    const go = await pool.connect(
      from.port,
      new Array<number>(spec.clients).fill(spec.schedule),
      'storm',
      workers.length > 1 ? workers.slice(1) : workers,
    );
    if (stay.failed + go.failed > 0) throw new Error(`${stay.failed + go.failed} of W6's connections failed`);
    progress(
      `${spec.scenario} ${servers.name}: ${spec.clients} clients ${servers.kill ? 'lose their instance' : 'drop'} ` +
        `beside ${spec.stayers} that stay, ${spec.rate} holds/s …`,
    );
    const cpu = new CpuSampler(to.pid);
    const publisher = new SteadyPublisher({ url: to.url, token }, spec.schedule, spec.rate, to.counters);
    // The first half second (less in the smoke run) settles before the steady state is measured.
    const steadyFrom = now() + Math.min(500, spec.steadyMs / 2) * 1e6;
    await sleep(spec.steadyMs);
    const reads = servers.redisUrl ? await countHistoryReads(servers.redisUrl) : undefined;
    const before = listenCounters();
    await pool.follow('storm', to.port);
    const t0 = now();
    if (servers.kill) await from.kill('SIGKILL');
    else await pool.drop('storm');
    // Until every storm client is back (and has what was published before it asked, when the server resumes).
    const deadline = Date.now() + spec.timeoutMs;
    for (;;) {
      await sleep(50);
      const p = await pool.stormProgress('storm');
      const back = p.reopened === p.total;
      if (back && (!servers.resumes || p.minLast >= publisher.ackedBy(p.lastRequestNs))) break;
      if (Date.now() > deadline) {
        progress(`  ${p.total - p.reopened} of ${p.total} not back after ${spec.timeoutMs / 1000} s`);
        break;
      }
    }
    await sleep(spec.tailMs);
    const published = await publisher.stop();
    // The sentinel: every client, storm or stay, ends on the last event published.
    const settle = Date.now() + 5_000;
    while (Date.now() < settle) {
      const [a, b] = [await pool.stormProgress('storm'), await pool.stormProgress('stay')];
      if (Math.min(a.minLast, b.minLast) >= published.sentinel) break;
      await sleep(50);
    }
    const after = listenCounters();
    cpu.stop();
    const historyReads = await reads?.stop();
    // The stayers' delays: events sent in the steady state, and from the drop until the storm's end (at least 1 s).
    const collected0 = await pool.stormCollect('storm', 'stay', published, []);
    const done = spread(collected0.clients, (c) => (servers.resumes ? c.caughtUpNs : c.reopenedNs), t0);
    const end = t0 + (Number.isFinite(done.all) ? done.all : spec.timeoutMs) * 1e6;
    const windows: [number, number][] = [
      [steadyFrom, t0],
      [t0, Math.max(end, t0 + 1e9)],
    ];
    const collected = await pool.stormCollect('storm', 'stay', published, windows);
    const clients = collected.clients;
    const reopened = spread(clients, (c) => c.reopenedNs, t0);
    const caughtUp = spread(clients, (c) => c.caughtUpNs, t0);
    const steadySeconds = (t0 - steadyFrom) / 1e9;
    const steadyCpuMsPerS = (cpu.at(t0) - cpu.at(steadyFrom)) / 1e3 / steadySeconds;
    const stormWindowMs = (end - t0) / 1e6;
    const stormCpuMs = (cpu.at(end) - cpu.at(t0)) / 1e3;
    const [beforeDelay, duringDelay] = collected.stay as [Histogram, Histogram];
    const [beforeChange, duringChange] = collected.stayFromChange as [Histogram, Histogram];
    const [beforeHold, duringHold] = publisher.latencies(windows) as [Histogram, Histogram];
    const result: StormResult = {
      scenario: spec.scenario,
      server: servers.name,
      clients: spec.clients,
      stayers: spec.stayers,
      rate: spec.rate,
      positions: new Set(clients.map((c) => c.lastAtDrop)).size,
      reopened99Ms: reopened.p99,
      reopenedAllMs: reopened.all,
      caughtUp99Ms: servers.resumes ? caughtUp.p99 : NaN,
      caughtUpAllMs: servers.resumes ? caughtUp.all : NaN,
      notReopened: reopened.missing,
      notCaughtUp: servers.resumes ? caughtUp.missing : NaN,
      gaps: clients.reduce((n, c) => n + c.gaps, 0),
      duplicates: clients.reduce((n, c) => n + c.duplicates, 0),
      sentinelMissing: clients.filter((c) => !c.sentinel).length,
      failures: clients.reduce((n, c) => n + c.failures, 0),
      listenOverflows: after.overflows - before.overflows,
      listenDrops: after.drops - before.drops,
      stormWindowMs,
      stormCpuMs,
      steadyCpuMsPerS,
      excessCpuMs: stormCpuMs - (steadyCpuMsPerS * stormWindowMs) / 1000,
      stayP50BeforeMs: beforeDelay.quantile(0.5),
      stayP99BeforeMs: beforeDelay.quantile(0.99),
      stayP50DuringMs: duringDelay.quantile(0.5),
      stayP99DuringMs: duringDelay.quantile(0.99),
      stayChangeP99BeforeMs: beforeChange.quantile(0.99),
      stayChangeP99DuringMs: duringChange.quantile(0.99),
      holdP99BeforeMs: beforeHold.quantile(0.99),
      holdP99DuringMs: duringHold.quantile(0.99),
      holdsDuring: duringHold.count,
      slowHoldsDuring: duringHold.countAbove(SLOW_HOLD_MS),
      windowNs: [t0, end],
      stayGaps: collected.stayGaps,
      stayDuplicates: collected.stayDuplicates,
      staySentinelMissing: collected.staySentinelMissing,
      ...(historyReads !== undefined && { historyReads }),
      failedRequests: publisher.failed,
    };
    const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)} ms` : '–');
    // Where the time went, from the drop: when the clients saw it, when their sockets connected again.
    const noticed = spread(clients, (c) => c.droppedNs, t0);
    const connected = spread(clients, (c) => c.requestNs, t0);
    const backTimes = clients
      .filter((c) => c.reopenedNs > 0)
      .map((c) => (c.reopenedNs - t0) / 1e6)
      .sort((a, b) => a - b);
    const deciles = [0.1, 0.25, 0.5, 0.75, 0.9].map((q) => ms(backTimes[Math.floor(q * backTimes.length)] ?? NaN));
    progress(
      `  (closes seen: all by ${ms(noticed.all)}; reconnected sockets: 99 % ${ms(connected.p99)}, ` +
        `all ${ms(connected.all)}; back at 10/25/50/75/90 %: ${deciles.join(', ')})`,
    );
    progress(
      `  → back: 99 % ${ms(result.reopened99Ms)}, all ${ms(result.reopenedAllMs)}` +
        (servers.resumes ? `; caught up: 99 % ${ms(result.caughtUp99Ms)}, all ${ms(result.caughtUpAllMs)}` : '') +
        `; gaps ${result.gaps}, duplicates ${result.duplicates}, failures ${result.failures}, ` +
        `listen overflows ${result.listenOverflows}; storm CPU ${result.stormCpuMs.toFixed(0)} ms ` +
        `(${result.excessCpuMs.toFixed(0)} over steady); stayers p99 ${ms(result.stayP99BeforeMs)} before, ` +
        `${ms(result.stayP99DuringMs)} during (from the change ${ms(result.stayChangeP99BeforeMs)}, ` +
        `${ms(result.stayChangeP99DuringMs)}); holds answered p99 ${ms(result.holdP99BeforeMs)}, ` +
        `${ms(result.holdP99DuringMs)} (${result.slowHoldsDuring} of ${result.holdsDuring} over ${SLOW_HOLD_MS} ms)` +
        (historyReads !== undefined ? `; ${historyReads} history reads` : '') +
        (publisher.failed > 0 ? `; failed holds by status (0: no answer) ${JSON.stringify(publisher.failures)}` : ''),
    );
    return result;
  } finally {
    await pool.close();
  }
}
