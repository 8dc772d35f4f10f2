import { fork, type ChildProcess } from 'node:child_process';
import { Histogram } from './histogram.js';
import { BUILD } from './processes.js';
import type { StormClient, StormPublished, WorkerReply, WorkerRequest } from './subscriber-worker.js';

/** Built by buildServers() (bench/lib/processes.ts): plain node starts in a fraction of tsx's time. */
const WORKER = `${BUILD}subscriber-worker.js`;

/** A pool of subscriber processes; the connections of a run are spread over them. */
export class SubscriberPool {
  private constructor(private readonly workers: ChildProcess[]) {}

  get size(): number {
    return this.workers.length;
  }

  static async start(count: number): Promise<SubscriberPool> {
    const workers = Array.from({ length: count }, () =>
      fork(WORKER, [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }),
    );
    return new SubscriberPool(workers);
  }

  /**
   * Opens one connection per entry of `schedules` (its schedule id), in `group` if named (W6),
   * spread over the workers `on` names (default: all of them); `timed` ones also record each
   * event's delay from its change (stormCollect's `stayFromChange`).
   */
  async connect(
    port: number,
    schedules: number[],
    group?: string,
    on: readonly number[] = this.workers.map((_, w) => w),
    timed = false,
  ): Promise<{ connectMs: number[]; failed: number }> {
    const parts = this.workers.map((_, w) =>
      on.includes(w) ? schedules.filter((_, i) => on[i % on.length] === w) : [],
    );
    const replies = await this.all((w) => ({
      type: 'connect',
      port,
      schedules: parts[w]!,
      ...(group && { group }),
      ...(timed && { timed }),
    }));
    return {
      connectMs: replies.flatMap((r) => (r.type === 'connected' ? r.connectMs : [])),
      failed: replies.reduce((n, r) => n + (r.type === 'connected' ? r.failed : 0), 0),
    };
  }

  async reset(): Promise<void> {
    await this.all(() => ({ type: 'reset' }));
  }

  async received(): Promise<{ received: number; closed: number }> {
    const replies = await this.all(() => ({ type: 'progress' }));
    return replies.reduce(
      (sum, r) =>
        r.type === 'progress' ? { received: sum.received + r.received, closed: sum.closed + r.closed } : sum,
      { received: 0, closed: 0 },
    );
  }

  async collect(published: Record<number, { first: number; times: number[] }>) {
    const replies = await this.all(() => ({ type: 'collect', published }));
    const histogram = new Histogram();
    let deliveries = 0;
    let misses = 0;
    let duplicates = 0;
    let lastReceiveNs = 0;
    let closed = 0;
    for (const r of replies) {
      if (r.type !== 'collected') continue;
      histogram.merge(new Histogram(r.histogram));
      deliveries += r.deliveries;
      misses += r.misses;
      duplicates += r.duplicates;
      closed += r.closed;
      lastReceiveNs = Math.max(lastReceiveNs, r.lastReceiveNs);
    }
    return { histogram, deliveries, misses, duplicates, lastReceiveNs, closed };
  }

  /** From now on, a connection of `group` that closes reopens at once to `port`, resuming from its last id. */
  async follow(group: string, port: number): Promise<void> {
    await this.all(() => ({ type: 'follow', group, port }));
  }

  /** Closes every connection of `group` at once (they reopen if the group follows a port). */
  async drop(group: string): Promise<void> {
    await this.all(() => ({ type: 'drop', group }));
  }

  /** How many of `group` have reopened, the lowest offset any of them has, the latest reopening request. */
  async stormProgress(
    group: string,
  ): Promise<{ total: number; reopened: number; minLast: number; lastRequestNs: number }> {
    const replies = await this.all(() => ({ type: 'storm-progress', group }));
    const sum = { total: 0, reopened: 0, minLast: Infinity, lastRequestNs: 0 };
    for (const r of replies) {
      if (r.type !== 'storm-progress') continue;
      sum.total += r.total;
      sum.reopened += r.reopened;
      sum.minLast = Math.min(sum.minLast, r.minLast);
      sum.lastRequestNs = Math.max(sum.lastRequestNs, r.lastRequestNs);
    }
    return sum;
  }

  /**
   * Each storm client's times and integrity, and the stay group's delivery delays per window of
   * send times: from the send, and from the change (timed connections).
   */
  async stormCollect(storm: string, stay: string, published: StormPublished, windows: [number, number][]) {
    const replies = await this.all(() => ({ type: 'storm-collect', storm, stay, published, windows }));
    const clients: StormClient[] = [];
    const histograms = windows.map(() => new Histogram());
    const fromChange = windows.map(() => new Histogram());
    let stayGaps = 0;
    let stayDuplicates = 0;
    let staySentinelMissing = 0;
    for (const r of replies) {
      if (r.type !== 'storm-collected') continue;
      clients.push(...r.clients);
      for (const [w, counts] of r.stay.entries()) histograms[w]!.merge(new Histogram(counts));
      for (const [w, counts] of r.stayFromChange.entries()) fromChange[w]!.merge(new Histogram(counts));
      stayGaps += r.stayGaps;
      stayDuplicates += r.stayDuplicates;
      staySentinelMissing += r.staySentinelMissing;
    }
    return { clients, stay: histograms, stayFromChange: fromChange, stayGaps, stayDuplicates, staySentinelMissing };
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.exitCode !== null) return resolve();
            worker.once('exit', () => resolve());
            worker.send({ type: 'close' } satisfies WorkerRequest);
            setTimeout(() => worker.kill('SIGKILL'), 2_000).unref();
          }),
      ),
    );
  }

  private all(request: (worker: number) => WorkerRequest): Promise<WorkerReply[]> {
    return Promise.all(
      this.workers.map(
        (worker, w) =>
          new Promise<WorkerReply>((resolve) => {
            worker.once('message', (reply: WorkerReply) => resolve(reply));
            worker.send(request(w));
          }),
      ),
    );
  }
}
