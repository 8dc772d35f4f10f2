import { take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EmitResult, Sinks } from '../../src/sinks/index.js';
import { record } from './recorder.js';

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
