import { Counter, Gauge, Histogram, type Metric, Registry, collectDefaultMetrics } from 'prom-client';
import type { Backend } from '../backends/backend.js';
import { liveChunkAppendedAt } from '../hub/topic.js';

/** Seconds, from a millisecond up: delivery on one machine takes about one; a stalled one, seconds. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Prometheus metrics of one app instance (its own registry, so several apps share a process).
 * Given the backend, they become its bus's observer (appends, pub/sub receipts, recoveries) and ask
 * its readiness on scrape; without one (listing the names), those stay at 0.
 */
export function createMetrics(topicCount: () => number, backend?: Backend) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const sseWrites = new SseWriteMeter(
    new HotHistogram(
      'seatstream_publish_to_write_seconds',
      "Delay from an event's append to the bus (the store's clock) to the write of its chunk to a subscriber's " +
        'socket, once per chunk per connection (live chunks only; negative skew counts as 0)',
      LATENCY_BUCKETS,
    ),
  );
  registry.registerMetric(sseWrites.latency as unknown as Metric);
  const metrics = {
    registry,
    sseOpen: new Gauge({ name: 'seatstream_sse_connections', help: 'Open SSE connections', registers: [registry] }),
    sseOpened: new Counter({
      name: 'seatstream_sse_connections_total',
      help: 'SSE connections opened',
      registers: [registry],
    }),
    sseOverflows: new Counter({
      name: 'seatstream_sse_overflow_disconnects_total',
      help: 'SSE connections closed because the client fell more than SSE_BUFFER_LIMIT_BYTES behind',
      registers: [registry],
    }),
    sseWrites,
    framesWritten: new Counter({
      name: 'seatstream_frames_written_total',
      help: 'SSE frames (blocks: events, comments) written to sockets',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(sseWrites.frames);
      },
    }),
    bytesWritten: new Counter({
      name: 'seatstream_bytes_written_total',
      help: 'Bytes of SSE streams written to sockets (the body, before any transfer encoding)',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(sseWrites.bytes);
      },
    }),
    mutations: new Counter({
      name: 'seatstream_seat_mutations_total',
      help: 'Seat mutations by operation and outcome',
      labelNames: ['operation', 'outcome'] as const,
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'seatstream_http_request_duration_seconds',
      help: 'Request/response routes (SSE streams excluded): from the request to the end of the response',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    eventsAppended: new Counter({
      name: 'seatstream_events_appended_total',
      help: 'Events this instance appended to the bus',
      registers: [registry],
    }),
    pubsubLag: new Histogram({
      name: 'seatstream_redis_pubsub_lag_seconds',
      help: "Delay from an event's append (Redis's clock) to its receipt by this instance's subscriber",
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    eventsRecovered: new Counter({
      name: 'seatstream_events_recovered_total',
      help: 'Events this instance read back from the Redis Stream because pub/sub had lost them',
      registers: [registry],
    }),
    backendReady: new Gauge({
      name: 'seatstream_backend_ready',
      help: 'Whether the backend takes writes (1) or not (0), asked on each scrape',
      registers: [registry],
      async collect() {
        this.set((await backend?.isReady().catch(() => false)) ? 1 : 0);
      },
    }),
    topics: new Gauge({
      name: 'seatstream_topics',
      help: 'Topics with live subscribers on this instance',
      registers: [registry],
      collect() {
        this.set(topicCount());
      },
    }),
  };
  if (backend) {
    backend.bus.observer = {
      onAppended: (count) => metrics.eventsAppended.inc(count),
      onReceived: (lagMs) => metrics.pubsubLag.observe(Math.max(0, lagMs) / 1000),
      onRecovered: (count) => metrics.eventsRecovered.inc(count),
    };
  }
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * What the SSE writers report, once per write to a socket: the fan-out writes one chunk to
 * thousands of connections, so this is plain arithmetic on numbers the registry reads on scrape.
 */
export class SseWriteMeter {
  frames = 0;
  bytes = 0;
  /** The buffer last seen and its frames: a fan-out hands the same buffer to every connection. */
  private last: Buffer | undefined;
  private lastFrames = 0;
  /** The clock as last read, and how many more live writes of `last` may use it. */
  private now = 0;
  private nowUses = 0;

  constructor(readonly latency: HotHistogram) {}

  /** Called right after `bytes` went to a socket, synchronously within their delivery. */
  readonly written = (bytes: Buffer): void => {
    this.bytes += bytes.length;
    if (bytes !== this.last) {
      this.last = bytes;
      this.lastFrames = countFrames(bytes);
      this.nowUses = 0;
    }
    this.frames += this.lastFrames;
    const appendedAt = liveChunkAppendedAt();
    if (appendedAt === 0) return;
    // Reading the clock costs more than all the rest: within one chunk's fan-out (a few µs per
    // write) it is read every CLOCK_READ_EVERY writes, well inside its millisecond resolution.
    if (this.nowUses-- <= 0) {
      this.now = Date.now();
      this.nowUses = CLOCK_READ_EVERY - 1;
    }
    this.latency.observeMs(this.now - appendedAt);
  };
}

const CLOCK_READ_EVERY = 16;

const BLANK_LINE = Buffer.from('\n\n');

/** SSE blocks in `bytes`: each ends with a blank line (the frames of protocol/sse-frames.ts do). */
function countFrames(bytes: Buffer): number {
  let frames = 0;
  for (let at = bytes.indexOf(BLANK_LINE); at >= 0; at = bytes.indexOf(BLANK_LINE, at + 2)) frames++;
  return frames;
}

/**
 * A histogram whose `observeMs` is a bucket search and three additions: prom-client's `observe`
 * costs about 250 ns and allocates, too much for once per chunk per connection. The registry
 * reads it on scrape like any of its own histograms (`get`, `reset`).
 */
export class HotHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly boundsMs: readonly number[];
  /** Per bucket, not cumulative; the last one is +Inf. */
  private counts: number[];
  private sumMs = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {
    this.boundsMs = bounds.map((seconds) => seconds * 1000);
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  /** A delay in ms; a negative one (clocks apart) counts as 0. */
  observeMs(ms: number): void {
    const value = Math.max(ms, 0);
    const bounds = this.boundsMs;
    let bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]!) bucket++;
    this.counts[bucket]!++;
    this.sumMs += value;
    this.count++;
  }

  reset(): void {
    this.counts = this.counts.map(() => 0);
    this.sumMs = 0;
    this.count = 0;
  }

  async get() {
    let cumulative = 0;
    const values = this.counts.map((count, i) => {
      cumulative += count;
      const le = i < this.bounds.length ? this.bounds[i]! : '+Inf';
      return { metricName: `${this.name}_bucket`, labels: { le }, value: cumulative };
    });
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: [
        ...values,
        { metricName: `${this.name}_sum`, labels: {}, value: this.sumMs / 1000 },
        { metricName: `${this.name}_count`, labels: {}, value: this.count },
      ],
    };
  }
}
