import { DirectMulticastSink } from './direct-sink.js';
import { MulticastEmptySink } from './empty-sink.js';
import { MulticastBufferSink } from './multicast-buffer-sink.js';
import { MulticastOneSink } from './one-sink.js';
import { ReplayBuffer } from './replay-buffer.js';
import { ReplaySink } from './replay-sink.js';
import type { EmptySink, ManySink, OneSink } from './sink-types.js';
import { UnicastBufferSink } from './unicast-sink.js';
import { UnicastDirectSink } from './unicast-direct-sink.js';

/** Reactor's Queues.SMALL_BUFFER_SIZE, the default warm-up buffer. */
export const DEFAULT_BUFFER_SIZE = 256;

/** Age bound of a replay history (Reactor's `Duration maxAge` + optional `Scheduler` clock). */
export interface ReplayWindow {
  maxAgeMs: number;
  /** Milliseconds, monotonic; defaults to `performance.now`. Inject one in tests. */
  clock?: () => number;
}

export interface ManySpec {
  /** 1 sink, N subscribers, no history. */
  multicast(): MulticastSpec;
  /** 1 sink, N subscribers, with history. */
  replay(): MulticastReplaySpec;
  /** 1 sink, 1 subscriber. */
  unicast(): UnicastSpec;
}

export interface MulticastSpec {
  onBackpressureBuffer<T>(bufferSize?: number, autoCancel?: boolean): ManySink<T>;
  directAllOrNothing<T>(): ManySink<T>;
  directBestEffort<T>(): ManySink<T>;
}

export interface MulticastReplaySpec {
  all<T>(): ManySink<T>;
  latest<T>(): ManySink<T>;
  latestOrDefault<T>(value: T): ManySink<T>;
  limit<T>(historySize: number): ManySink<T>;
  limit<T>(window: ReplayWindow): ManySink<T>;
  limit<T>(historySize: number, window: ReplayWindow): ManySink<T>;
}

export interface UnicastSpec {
  /** Unbounded queue until the subscriber arrives, or at most `capacity` values. */
  onBackpressureBuffer<T>(capacity?: number): ManySink<T>;
  /** No queue: emissions before the subscriber fail with FAIL_ZERO_SUBSCRIBER. */
  onBackpressureError<T>(): ManySink<T>;
}

const monotonicNow = (): number => performance.now();

const multicastSpec: MulticastSpec = {
  onBackpressureBuffer<T>(bufferSize = DEFAULT_BUFFER_SIZE, autoCancel = true): ManySink<T> {
    requirePositive('bufferSize', bufferSize);
    return new MulticastBufferSink<T>(bufferSize, autoCancel);
  },
  directAllOrNothing<T>(): ManySink<T> {
    return new DirectMulticastSink<T>(true);
  },
  directBestEffort<T>(): ManySink<T> {
    return new DirectMulticastSink<T>(false);
  },
};

function replaySink<T>(historySize: number, window: ReplayWindow | undefined): ManySink<T> {
  const maxAgeMs = window?.maxAgeMs ?? Infinity;
  if (window !== undefined && !(maxAgeMs >= 0 && Number.isFinite(maxAgeMs))) {
    throw new RangeError(`maxAgeMs must be a finite number >= 0, was ${maxAgeMs}`);
  }
  return new ReplaySink<T>(new ReplayBuffer<T>(historySize, maxAgeMs, window?.clock ?? monotonicNow));
}

const replaySpec: MulticastReplaySpec = {
  all<T>(): ManySink<T> {
    return replaySink<T>(Infinity, undefined);
  },
  latest<T>(): ManySink<T> {
    return replaySink<T>(1, undefined);
  },
  latestOrDefault<T>(value: T): ManySink<T> {
    const sink = replaySink<T>(1, undefined);
    sink.tryEmitNext(value);
    return sink;
  },
  limit<T>(sizeOrWindow: number | ReplayWindow, window?: ReplayWindow): ManySink<T> {
    if (typeof sizeOrWindow !== 'number') return replaySink<T>(Infinity, sizeOrWindow);
    // Reactor's (serialized) limit(int) and limit(int, Duration) both reject 0: a replay sink
    // that keeps nothing is a direct sink, and Reactor wants that said explicitly.
    requirePositive('historySize', sizeOrWindow);
    return replaySink<T>(sizeOrWindow, window);
  },
};

const unicastSpec: UnicastSpec = {
  onBackpressureBuffer<T>(capacity = Infinity): ManySink<T> {
    if (capacity !== Infinity) requirePositive('capacity', capacity);
    return new UnicastBufferSink<T>(capacity);
  },
  onBackpressureError<T>(): ManySink<T> {
    return new UnicastDirectSink<T>();
  },
};

const manySpec: ManySpec = {
  multicast: () => multicastSpec,
  replay: () => replaySpec,
  unicast: () => unicastSpec,
};

/**
 * Entry point, shaped like Reactor's `Sinks`:
 * `Sinks.many().multicast().directBestEffort<T>()`, `Sinks.one<T>()`, ...
 * Every sink is "safe" in Reactor's sense (re-entrance is detected); there is
 * no `Sinks.unsafe()`.
 */
export const Sinks = {
  many(): ManySpec {
    return manySpec;
  },
  one<T>(): OneSink<T> {
    return new MulticastOneSink<T>();
  },
  empty<T = never>(): EmptySink<T> {
    return new MulticastEmptySink<T>();
  },
} as const;

/** Reactor throws IllegalArgumentException("historySize must be > 0"); RangeError is the JS kin. */
function requirePositive(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be an integer > 0, was ${value}`);
  }
}
