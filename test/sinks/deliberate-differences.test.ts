import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EmissionError, EmitFailureHandler, EmitResult, Sinks } from '../../src/sinks/index.js';
import type { ManySink } from '../../src/sinks/index.js';
import { record } from './recorder.js';

// One test per entry of "Deliberate differences from Reactor" in docs/sinks.md: where seatstream
// knowingly does not do what reactor-core does, this pins what it does instead.

const manyFlavours: Array<[string, () => ManySink<unknown>]> = [
  ['directBestEffort', () => Sinks.many().multicast().directBestEffort()],
  ['directAllOrNothing', () => Sinks.many().multicast().directAllOrNothing()],
  ['multicast onBackpressureBuffer', () => Sinks.many().multicast().onBackpressureBuffer()],
  ['replay().all', () => Sinks.many().replay().all()],
  ['replay().limit(2)', () => Sinks.many().replay().limit(2)],
  ['unicast onBackpressureBuffer', () => Sinks.many().unicast().onBackpressureBuffer()],
  ['unicast onBackpressureError', () => Sinks.many().unicast().onBackpressureError()],
];

describe('1. null and undefined are values (Reactor: NullPointerException, or "empty" for Sinks.one)', () => {
  it.each(manyFlavours)('%s delivers undefined and null like any value', (_name, create) => {
    const sink = create();
    const rec = record(sink.asObservable());
    expect(sink.tryEmitNext(undefined)).toBe(EmitResult.OK);
    expect(sink.tryEmitNext(null)).toBe(EmitResult.OK);
    expect(rec.values).toEqual([undefined, null]);
  });

  it('Sinks.one().tryEmitValue(undefined) resolves with undefined instead of completing empty', async () => {
    const sink = Sinks.one<void>();
    const done = firstValueFrom(sink.asObservable()); // would reject with EmptyError if it were "empty"
    expect(sink.tryEmitValue(undefined)).toBe(EmitResult.OK);
    await expect(done).resolves.toBeUndefined();
    const nulled = Sinks.one<null>();
    nulled.emitValue(null, EmitFailureHandler.FAIL_FAST);
    const late = record(nulled.asObservable());
    expect(late.values).toEqual([null]);
    expect(late.completed).toBe(true);
  });

  it('replay().latestOrDefault(undefined) replays undefined', () => {
    expect(record(Sinks.many().replay().latestOrDefault(undefined).asObservable()).values).toEqual([undefined]);
  });
});

describe('2. any error value is accepted, undefined and null included (Reactor: NullPointerException)', () => {
  it.each(manyFlavours)('%s terminates with an undefined error, still as an error', (_name, create) => {
    const sink = create();
    const rec = record(sink.asObservable());
    expect(sink.tryEmitError(undefined)).toBe(EmitResult.OK);
    expect(rec.errored).toBe(true);
    expect(rec.completed).toBe(false);
    expect(sink.tryEmitComplete()).toBe(EmitResult.FAIL_TERMINATED);
  });

  it('the undefined error is replayed as an error; emitError(null) does not throw', () => {
    const sink = Sinks.many().replay().all<number>();
    sink.emitError(undefined, EmitFailureHandler.FAIL_FAST);
    const late = record(sink.asObservable());
    expect(late.errored && !late.completed).toBe(true);
    const one = Sinks.one<number>();
    expect(() => one.emitError(null, EmitFailureHandler.FAIL_FAST)).not.toThrow();
    expect(record(one.asObservable()).errored).toBe(true);
  });
});

// Reactor: SinkManySerializedTest#sameThreadRecursion shows the owning thread may emit again, and gets OK.
describe('3. emitting from inside a subscriber callback', () => {
  it('direct sinks refuse it with FAIL_NON_SERIALIZED for every signal and deliver nothing', () => {
    const sink = Sinks.many().multicast().directBestEffort<string>();
    const results: EmitResult[] = [];
    const a = record(sink.asObservable(), (v) => {
      if (v === 'first') results.push(sink.tryEmitNext('second'), sink.tryEmitComplete(), sink.tryEmitError('x'));
    });
    const b = record(sink.asObservable());
    expect(sink.tryEmitNext('first')).toBe(EmitResult.OK);
    expect(results).toEqual(['FAIL_NON_SERIALIZED', 'FAIL_NON_SERIALIZED', 'FAIL_NON_SERIALIZED']);
    expect(a.values).toEqual(['first']);
    expect(b.values).toEqual(['first']);
    expect(a.completed || a.errored).toBe(false);
  });

  it('replay and unicast().onBackpressureError() refuse it too; emit* then throws EmissionError', () => {
    for (const sink of [Sinks.many().replay().all<string>(), Sinks.many().unicast().onBackpressureError<string>()]) {
      let thrown: unknown;
      record(sink.asObservable(), (v) => {
        if (v !== 'first') return;
        try {
          sink.emitComplete(EmitFailureHandler.FAIL_FAST);
        } catch (error) {
          thrown = error;
        }
      });
      sink.tryEmitNext('first');
      expect(thrown).toBeInstanceOf(EmissionError);
      expect((thrown as EmissionError).result).toBe(EmitResult.FAIL_NON_SERIALIZED);
    }
  });

  it('buffered sinks accept it (OK) and deliver it after the current value, as Reactor does', () => {
    const sink = Sinks.many().multicast().onBackpressureBuffer<string>();
    const results: EmitResult[] = [];
    const a = record(sink.asObservable(), (v) => {
      if (v === 'first') results.push(sink.tryEmitNext('second'));
    });
    const b = record(sink.asObservable());
    sink.tryEmitNext('first');
    expect(results).toEqual(['OK']);
    expect(b.values).toEqual(['first', 'second']); // in order, unlike a nested delivery
    expect(a.values).toEqual(['first', 'second']);
  });
});

describe('4. RxJS has no request(n): every subscriber always has demand', () => {
  it('directAllOrNothing never fails with FAIL_OVERFLOW and delivers to every subscriber', () => {
    const sink = Sinks.many().multicast().directAllOrNothing<number>();
    const subscribers = [record(sink.asObservable()), record(sink.asObservable())];
    expect(sink.tryEmitNext(1)).toBe(EmitResult.OK);
    for (const rec of subscribers) expect(rec.values).toEqual([1]);
  });
});

describe('5. buffer bounds are exact (Reactor rounds a bounded queue up to a power of two, at least 8)', () => {
  it('multicast onBackpressureBuffer(10) holds 10 values before the first subscriber, not 16', () => {
    const sink = Sinks.many().multicast().onBackpressureBuffer<number>(10);
    for (let i = 0; i < 10; i++) expect(sink.tryEmitNext(i)).toBe(EmitResult.OK);
    expect(sink.tryEmitNext(10)).toBe(EmitResult.FAIL_ZERO_SUBSCRIBER);
  });

  it('unicast onBackpressureBuffer(3) holds 3, not 8', () => {
    const sink = Sinks.many().unicast().onBackpressureBuffer<number>(3);
    expect([1, 2, 3, 4].map((v) => sink.tryEmitNext(v))).toEqual(['OK', 'OK', 'OK', 'FAIL_ZERO_SUBSCRIBER']);
  });
});

describe('6. an auto-cancelled multicast buffer answers FAIL_CANCELLED (Reactor: OK till its buffer fills)', () => {
  it('fails next, complete and error with FAIL_CANCELLED once the last subscriber left', () => {
    const sink = Sinks.many().multicast().onBackpressureBuffer<number>(4, true);
    record(sink.asObservable()).subscription.unsubscribe();
    for (let i = 0; i < 5; i++) expect(sink.tryEmitNext(i)).toBe(EmitResult.FAIL_CANCELLED);
    expect(sink.tryEmitComplete()).toBe(EmitResult.FAIL_CANCELLED);
    expect(sink.tryEmitError(new Error('x'))).toBe(EmitResult.FAIL_CANCELLED);
  });
});

describe('7. time-bound replay', () => {
  it('keeps skipping expired values after the sink terminated (Reactor replays them once terminated)', () => {
    let now = 0;
    const sink = Sinks.many()
      .replay()
      .limit<number>({ maxAgeMs: 100, clock: () => now });
    sink.tryEmitNext(1);
    sink.tryEmitNext(2);
    sink.tryEmitComplete();
    now = 150;
    const late = record(sink.asObservable());
    expect(late.values).toEqual([]);
    expect(late.completed).toBe(true);
  });

  it('rejects a negative or non-finite maxAgeMs (Reactor accepts any Duration)', () => {
    for (const maxAgeMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => Sinks.many().replay().limit({ maxAgeMs })).toThrow(RangeError);
    }
  });
});
