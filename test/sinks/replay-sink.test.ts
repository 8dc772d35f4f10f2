import { take } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { EmitFailureHandler, EmitResult, SinkHooks, Sinks } from '../../src/sinks/index.js';
import { record, subscribeClosed } from './recorder.js';

afterEach(() => SinkHooks.reset());

/** A hand-driven clock so time-bound tests do not sleep. */
function manualClock(start = 1_000) {
  const clock = { now: start, read: () => clock.now };
  return clock;
}

describe('replay().all()', () => {
  it('accepts values without subscribers and replays all of them, then goes live', () => {
    const sink = Sinks.many().replay().all<number>();
    for (let i = 1; i <= 300; i++) expect(sink.tryEmitNext(i)).toBe(EmitResult.OK);
    const late = record(sink.asObservable());
    sink.tryEmitNext(301);
    expect(late.values).toHaveLength(301);
    expect(late.values.at(0)).toBe(1);
    expect(late.values.at(-1)).toBe(301);
  });

  it('replays the terminal signal after the history to late subscribers', () => {
    const sink = Sinks.many().replay().all<string>();
    sink.tryEmitNext('a');
    sink.tryEmitNext('b');
    expect(sink.tryEmitComplete()).toBe(EmitResult.OK);
    const late = record(sink.asObservable());
    expect(late.values).toEqual(['a', 'b']);
    expect(late.completed).toBe(true);
    expect(sink.tryEmitNext('c')).toBe(EmitResult.FAIL_TERMINATED);
    expect(sink.currentSubscriberCount()).toBe(0);
  });

  it('replays an error after the history', () => {
    const sink = Sinks.many().replay().all<string>();
    sink.tryEmitNext('a');
    const boom = new Error('boom');
    const early = record(sink.asObservable());
    sink.tryEmitError(boom);
    const late = record(sink.asObservable());
    expect(early.values).toEqual(['a']);
    expect(early.error).toBe(boom);
    expect(late.values).toEqual(['a']);
    expect(late.error).toBe(boom);
  });

  it('stops replaying to a subscriber that unsubscribes mid-replay and does not register it', () => {
    const sink = Sinks.many().replay().all<number>();
    [1, 2, 3].forEach((v) => {
      sink.tryEmitNext(v);
    });
    const first = record(sink.asObservable().pipe(take(2)));
    expect(first.values).toEqual([1, 2]);
    expect(sink.currentSubscriberCount()).toBe(0);
  });
});

describe('replay().limit(n), latest(), latestOrDefault()', () => {
  it('limit(n) replays the last n values to late subscribers', () => {
    const sink = Sinks.many().replay().limit<number>(2);
    [1, 2, 3, 4].forEach((v) => {
      sink.tryEmitNext(v);
    });
    const late = record(sink.asObservable());
    sink.tryEmitNext(5);
    expect(late.values).toEqual([3, 4, 5]);
  });

  // Reactor: SinksTest.MulticastReplayN#limitZeroIsRejected, MulticastReplayDuration#historySizeZeroIsRejected
  it('limit(0) is rejected with a RangeError, with or without an age bound', () => {
    const replay = Sinks.many().replay();
    expect(() => replay.limit(0)).toThrow(new RangeError('historySize must be an integer > 0, was 0'));
    expect(() => replay.limit(0, { maxAgeMs: 1000 })).toThrow(/^historySize must be an integer > 0/);
  });

  it('latest() replays only the most recent value', () => {
    const sink = Sinks.many().replay().latest<string>();
    expect(record(sink.asObservable()).values).toEqual([]);
    sink.tryEmitNext('a');
    sink.tryEmitNext('b');
    expect(record(sink.asObservable()).values).toEqual(['b']);
  });

  it('latestOrDefault(v) replays v until something is emitted', () => {
    const sink = Sinks.many().replay().latestOrDefault<string>('initial');
    expect(record(sink.asObservable()).values).toEqual(['initial']);
    sink.tryEmitNext('next');
    expect(record(sink.asObservable()).values).toEqual(['next']);
  });
});

describe('replay().limit({ maxAgeMs }) and limit(n, { maxAgeMs })', () => {
  it('drops values older than maxAgeMs for late subscribers', () => {
    const clock = manualClock();
    const sink = Sinks.many().replay().limit<string>({ maxAgeMs: 100, clock: clock.read });
    sink.tryEmitNext('t0');
    clock.now += 60;
    sink.tryEmitNext('t60');
    clock.now += 50; // t0 is now 110ms old, t60 50ms
    expect(record(sink.asObservable()).values).toEqual(['t60']);
    clock.now += 100;
    expect(record(sink.asObservable()).values).toEqual([]);
  });

  it('keeps a value for exactly as long as it is younger than maxAgeMs', () => {
    const clock = manualClock();
    const sink = Sinks.many().replay().limit<string>({ maxAgeMs: 100, clock: clock.read });
    sink.tryEmitNext('v');
    clock.now += 99;
    expect(record(sink.asObservable()).values).toEqual(['v']);
    clock.now += 1;
    expect(record(sink.asObservable()).values).toEqual([]);
  });

  it('applies the count and the age bound together', () => {
    const clock = manualClock();
    const sink = Sinks.many().replay().limit<number>(2, { maxAgeMs: 100, clock: clock.read });
    sink.tryEmitNext(1);
    sink.tryEmitNext(2);
    sink.tryEmitNext(3);
    expect(record(sink.asObservable()).values).toEqual([2, 3]);
    clock.now += 150;
    sink.tryEmitNext(4);
    expect(record(sink.asObservable()).values).toEqual([4]);
  });

  it('still replays the terminal signal once every value has expired', () => {
    const clock = manualClock();
    const sink = Sinks.many().replay().limit<number>({ maxAgeMs: 10, clock: clock.read });
    sink.tryEmitNext(1);
    sink.tryEmitComplete();
    clock.now += 20;
    const late = record(sink.asObservable());
    expect(late.values).toEqual([]);
    expect(late.completed).toBe(true);
  });

  it('uses a real monotonic clock by default', () => {
    const sink = Sinks.many().replay().limit<number>({ maxAgeMs: 60_000 });
    sink.tryEmitNext(1);
    expect(record(sink.asObservable()).values).toEqual([1]);
  });
});

describe('replay() re-entrance and arguments', () => {
  it('refuses emission from a live subscriber callback with FAIL_NON_SERIALIZED', () => {
    const sink = Sinks.many().replay().all<number>();
    const results: EmitResult[] = [];
    record(sink.asObservable(), (v) => {
      if (v === 1) results.push(sink.tryEmitNext(2));
    });
    sink.tryEmitNext(1);
    expect(results).toEqual(['FAIL_NON_SERIALIZED']);
    expect(record(sink.asObservable()).values).toEqual([1]);
  });

  it('refuses emission from a subscriber that is being replayed to', () => {
    const sink = Sinks.many().replay().all<number>();
    sink.tryEmitNext(1);
    const results: EmitResult[] = [];
    const rec = record(sink.asObservable(), () => results.push(sink.tryEmitNext(2)));
    expect(results).toEqual(['FAIL_NON_SERIALIZED']);
    expect(sink.tryEmitNext(3)).toBe(EmitResult.OK);
    expect(rec.values).toEqual([1, 3]);
  });

  it('lets a subscriber callback subscribe a newcomer, who gets the history once', () => {
    const sink = Sinks.many().replay().all<number>();
    let newcomer: number[] = [];
    record(sink.asObservable(), (v) => {
      if (v === 2) newcomer = record(sink.asObservable()).values;
    });
    sink.tryEmitNext(1);
    sink.tryEmitNext(2);
    sink.tryEmitNext(3);
    expect(newcomer).toEqual([1, 2, 3]);
  });

  it('validates sizes and ages', () => {
    const replay = Sinks.many().replay();
    expect(() => replay.limit(-1)).toThrow(RangeError);
    expect(() => replay.limit(0, { maxAgeMs: 10 })).toThrow(RangeError);
    expect(() => replay.limit({ maxAgeMs: -1 })).toThrow(RangeError);
    expect(() => replay.limit({ maxAgeMs: Number.NaN })).toThrow(RangeError);
  });
});

describe('replay() — Reactor SinkManyReplayProcessorTest', () => {
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

  // Reactor: #currentSubscriberCount, #cancel
  it('counts subscribers; unsubscribing or arriving unsubscribed leaves none', () => {
    const sink = Sinks.many().replay().all<number>();
    expect(sink.currentSubscriberCount()).toBe(0);
    const a = record(sink.asObservable());
    record(sink.asObservable());
    expect(sink.currentSubscriberCount()).toBe(2);
    a.subscription.unsubscribe();
    subscribeClosed(sink.asObservable());
    expect(sink.currentSubscriberCount()).toBe(1);
  });

  // Reactor: SinkManyReplayProcessor#subscribe adds the subscriber before replaying to it
  it('counts a newcomer while its history is being replayed', () => {
    const sink = Sinks.many().replay().all<number>();
    sink.tryEmitNext(1);
    const counts: number[] = [];
    record(sink.asObservable(), () => counts.push(sink.currentSubscriberCount()));
    expect(counts).toEqual([1]);
    sink.tryEmitNext(2);
    expect(counts).toEqual([1, 1]);
  });

  // Reactor: #unbounded, #bounded
  it('a subscriber present from the start gets everything, and is not counted after completion', () => {
    for (const sink of [Sinks.many().replay().all<number>(), Sinks.many().replay().limit<number>(16)]) {
      const rec = record(sink.asObservable());
      [1, 2, 3].forEach((v) => {
        sink.tryEmitNext(v);
      });
      sink.tryEmitComplete();
      expect(sink.currentSubscriberCount()).toBe(0);
      expect(rec.values).toEqual([1, 2, 3]);
      expect(rec.completed).toBe(true);
    }
  });

  // Reactor: #unboundedLong, #boundedLong, #boundedLongError
  it('after 256 values and a terminal signal, all() replays 256 and limit(16) the last 16', () => {
    const all = Sinks.many().replay().all<number>();
    const bounded = Sinks.many().replay().limit<number>(16);
    const failing = Sinks.many().replay().limit<number>(16);
    for (let i = 0; i < 256; i++) for (const s of [all, bounded, failing]) s.tryEmitNext(i);
    all.tryEmitComplete();
    bounded.tryEmitComplete();
    failing.tryEmitError(new Error('test'));
    expect(record(all.asObservable()).values).toEqual(range(0, 256));
    const late = record(bounded.asObservable());
    expect(late.values).toEqual(range(240, 256));
    expect(late.completed).toBe(true);
    const lateError = record(failing.asObservable());
    expect(lateError.values).toEqual(range(240, 256));
    expect((lateError.error as Error).message).toBe('test');
  });

  // Reactor: #timed, #timedError, #timedAfter
  it('limit({ maxAgeMs }): late subscribers skip expired values; a live subscriber got them all', () => {
    let now = 0;
    const sink = Sinks.many()
      .replay()
      .limit<number>({ maxAgeMs: 1000, clock: () => now });
    const failing = Sinks.many()
      .replay()
      .limit<number>({ maxAgeMs: 1000, clock: () => now });
    const live = record(sink.asObservable());
    for (let i = 0; i < 5; i++) for (const s of [sink, failing]) s.tryEmitNext(i);
    now += 2000;
    for (let i = 5; i < 10; i++) for (const s of [sink, failing]) s.tryEmitNext(i);
    sink.tryEmitComplete();
    failing.tryEmitError(new Error('test'));
    expect(live.values).toEqual(range(0, 10));
    const late = record(sink.asObservable());
    expect(late.values).toEqual(range(5, 10));
    expect(late.completed).toBe(true);
    const lateError = record(failing.asObservable());
    expect(lateError.values).toEqual(range(5, 10));
    expect((lateError.error as Error).message).toBe('test');
  });

  // Reactor: #timedAndBound, #timedAndBoundAfter
  it('limit(5, { maxAgeMs }): both bounds apply to late subscribers, neither to live ones', () => {
    let now = 0;
    const sink = Sinks.many()
      .replay()
      .limit<number>(5, { maxAgeMs: 1000, clock: () => now });
    const live = record(sink.asObservable());
    for (let i = 0; i < 10; i++) sink.tryEmitNext(i);
    now += 2000;
    for (let i = 10; i < 20; i++) sink.tryEmitNext(i);
    sink.tryEmitComplete();
    expect(live.values).toEqual(range(0, 20));
    expect(record(sink.asObservable()).values).toEqual(range(15, 20));
    expect(sink.currentSubscriberCount()).toBe(0);
  });

  // Reactor: SinksTest.MulticastReplayDuration#lateSubscriberReceivesEventInRetentionTime and
  // #lateSubscriberDoesntReceiveEventOutsideRetentionTime (reactor-core#2513)
  it('a value is replayed 1 ms before it reaches maxAgeMs, and not 1 ms after', () => {
    let now = 0;
    const sink = Sinks.many()
      .replay()
      .limit<number>({ maxAgeMs: 1000, clock: () => now });
    sink.emitNext(12, EmitFailureHandler.FAIL_FAST);
    now = 999;
    expect(record(sink.asObservable()).values).toEqual([12]);
    now = 1001;
    expect(record(sink.asObservable()).values).toEqual([]);
  });

  // Reactor: #testReplayProcessorState (second complete is a no-op, a late error goes to onErrorDropped)
  it('after complete: complete again fails with FAIL_TERMINATED and emitError drops the error', () => {
    const dropped: unknown[] = [];
    SinkHooks.onErrorDropped = (e) => dropped.push(e);
    const sink = Sinks.many().replay().latest<string>();
    expect(sink.tryEmitNext('test')).toBe(EmitResult.OK);
    expect(sink.tryEmitComplete()).toBe(EmitResult.OK);
    expect(sink.tryEmitComplete()).toBe(EmitResult.FAIL_TERMINATED);
    const late = new Error('test');
    sink.emitError(late, EmitFailureHandler.FAIL_FAST);
    expect(dropped).toEqual([late]);
  });

  // Reactor: #failNegativeBufferSizeBounded, #failNegativeBufferBoundedAndTimed
  it('rejects a negative history size, with or without an age bound', () => {
    expect(() => Sinks.many().replay().limit(-1)).toThrow(RangeError);
    expect(() => Sinks.many().replay().limit(-1, { maxAgeMs: 1000 })).toThrow(RangeError);
  });
});
