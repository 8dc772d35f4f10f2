import { fork, type ChildProcess } from 'node:child_process';
import { Histogram } from './histogram.js';
import { BUILD } from './processes.js';
import type { WorkerReply, WorkerRequest } from './subscriber-worker.js';

/** Built by buildServers() (bench/lib/processes.ts): plain node starts in a fraction of tsx's time. */
const WORKER = `${BUILD}subscriber-worker.js`;

/** A pool of subscriber processes; the connections of a run are spread over them. */
export class SubscriberPool {
  private constructor(private readonly workers: ChildProcess[]) {}

  static async start(count: number): Promise<SubscriberPool> {
    const workers = Array.from({ length: count }, () =>
      fork(WORKER, [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }),
    );
    return new SubscriberPool(workers);
  }

  /** Opens one connection per entry of `schedules` (its schedule id). */
  async connect(port: number, schedules: number[]): Promise<{ connectMs: number[]; failed: number }> {
    const parts = this.workers.map((_, w) => schedules.filter((_, i) => i % this.workers.length === w));
    const replies = await this.all((w) => ({ type: 'connect', port, schedules: parts[w]! }));
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
