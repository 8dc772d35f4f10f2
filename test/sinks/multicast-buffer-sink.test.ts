import { take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EmitFailureHandler, EmitResult, OverflowError, Sinks } from '../../src/sinks/index.js';
import { record } from './recorder.js';

const buffered = <T>(bufferSize?: number, autoCancel?: boolean) =>
  Sinks.many().multicast().onBackpressureBuffer<T>(bufferSize, autoCancel);

describe('multicast().onBackpressureBuffer() warm-up', () => {
  it('buffers up to bufferSize values before the first subscriber, then FAIL_ZERO_SUBSCRIBER', () => {
    const sink = buffered<number>(3);
    expect([1, 2, 3].map((v) => sink.tryEmitNext(v))).toEqual(['OK', 'OK', 'OK']);
    // Reactor: "never subscribed and no capacity to buffer" is FAIL_ZERO_SUBSCRIBER.
    expect(sink.tryEmitNext(4)).toBe(EmitResult.FAIL_ZERO_SUBSCRIBER);
  });

  it('hands the buffered values to the first subscriber only', () => {
    const sink = buffered<number>(3);
    [1, 2, 3, 4].forEach((v) => {
      sink.tryEmitNext(v);
    });
    const first = record(sink.asObservable());
    const second = record(sink.asObservable());
    sink.tryEmitNext(5);
    expect(first.values).toEqual([1, 2, 3, 5]);
    expect(second.values).toEqual([5]);
  });

  it('defaults to a 256-value buffer with autoCancel', () => {
    const sink = buffered<number>();
    for (let i = 0; i < 256; i++) expect(sink.tryEmitNext(i)).toBe(EmitResult.OK);
    expect(sink.tryEmitNext(256)).toBe(EmitResult.FAIL_ZERO_SUBSCRIBER);
    const first = record(sink.asObservable());
    expect(first.values).toHaveLength(256);
    first.subscription.unsubscribe();
    expect(sink.tryEmitNext(0)).toBe(EmitResult.FAIL_CANCELLED);
  });

  it('emitNext on a full warm-up buffer drops the value and keeps the sink open (Reactor)', () => {
    const sink = buffered<number>(1);
    sink.tryEmitNext(1);
    sink.emitNext(2, EmitFailureHandler.FAIL_FAST);
    const first = record(sink.asObservable());
    expect(first.values).toEqual([1]);
    expect(first.completed || first.errored).toBe(false);
  });

  it('delivers buffered values, then completion, to a subscriber arriving after complete', () => {
    const sink = buffered<number>();
    sink.tryEmitNext(1);
    sink.tryEmitNext(2);
    expect(sink.tryEmitComplete()).toBe(EmitResult.OK);
    expect(sink.tryEmitNext(3)).toBe(EmitResult.FAIL_TERMINATED);
    const first = record(sink.asObservable());
    const second = record(sink.asObservable());
    expect(first.values).toEqual([1, 2]);
    expect(first.completed).toBe(true);
    expect(second.values).toEqual([]);
    expect(second.completed).toBe(true);
  });

  it('delivers an error ahead of still-buffered values', () => {
    const sink = buffered<number>();
    sink.tryEmitNext(1);
    const boom = new Error('boom');
    expect(sink.tryEmitError(boom)).toBe(EmitResult.OK);
    const late = record(sink.asObservable());
    expect(late.values).toEqual([]);
    expect(late.error).toBe(boom);
    expect(sink.tryEmitError(boom)).toBe(EmitResult.FAIL_TERMINATED);
  });
});

describe('multicast().onBackpressureBuffer() autoCancel', () => {
  it('autoCancel=true: after the last subscriber leaves, emissions fail with FAIL_CANCELLED', () => {
    const sink = buffered<number>(16, true);
    const a = record(sink.asObservable());
    const b = record(sink.asObservable());
    sink.tryEmitNext(1);
    a.subscription.unsubscribe();
    expect(sink.tryEmitNext(2)).toBe(EmitResult.OK); // b is still there
    b.subscription.unsubscribe();
    expect(sink.currentSubscriberCount()).toBe(0);
    expect(sink.tryEmitNext(3)).toBe(EmitResult.FAIL_CANCELLED);
    expect(sink.tryEmitComplete()).toBe(EmitResult.FAIL_CANCELLED);
    expect(sink.tryEmitError(new Error('x'))).toBe(EmitResult.FAIL_CANCELLED);
    expect(b.values).toEqual([1, 2]);
  });

  it('autoCancel=true: a subscriber arriving after cancellation is completed at once', () => {
    const sink = buffered<number>(16, true);
    record(sink.asObservable()).subscription.unsubscribe();
    const late = record(sink.asObservable());
    expect(late.completed).toBe(true);
    expect(sink.currentSubscriberCount()).toBe(0);
  });

  it('autoCancel=true: take(1) during the warm-up drain cancels and discards the rest', () => {
    const sink = buffered<number>(16, true);
    [1, 2, 3].forEach((v) => {
      sink.tryEmitNext(v);
    });
    const first = record(sink.asObservable().pipe(take(1)));
    expect(first.values).toEqual([1]);
    expect(sink.tryEmitNext(4)).toBe(EmitResult.FAIL_CANCELLED);
    expect(record(sink.asObservable()).values).toEqual([]);
  });

  it('autoCancel=false: after the last subscriber leaves the sink warms up again', () => {
    const sink = buffered<number>(2, false);
    const a = record(sink.asObservable());
    sink.tryEmitNext(1);
    a.subscription.unsubscribe();
    expect(sink.tryEmitNext(2)).toBe(EmitResult.OK);
    expect(sink.tryEmitNext(3)).toBe(EmitResult.OK);
    expect(sink.tryEmitNext(4)).toBe(EmitResult.FAIL_ZERO_SUBSCRIBER);
    const b = record(sink.asObservable());
    expect(a.values).toEqual([1]);
    expect(b.values).toEqual([2, 3]);
  });

  it('autoCancel=false: values left by a take(1) subscriber wait for the next one', () => {
    const sink = buffered<number>(16, false);
    [1, 2, 3].forEach((v) => {
      sink.tryEmitNext(v);
    });
    expect(record(sink.asObservable().pipe(take(1))).values).toEqual([1]);
    expect(record(sink.asObservable()).values).toEqual([2, 3]);
  });
});

describe('multicast().onBackpressureBuffer() re-entrant emission', () => {
  it('queues a value emitted from a subscriber callback and delivers it in order to everyone', () => {
    const sink = buffered<number>();
    const results: EmitResult[] = [];
    const a = record(sink.asObservable(), (v) => {
      if (v === 1) results.push(sink.tryEmitNext(2));
    });
    const b = record(sink.asObservable());
    sink.tryEmitNext(1);
    expect(results).toEqual(['OK']);
    expect(a.values).toEqual([1, 2]);
    expect(b.values).toEqual([1, 2]); // not [2, 1]
  });

  it('fails with FAIL_OVERFLOW when re-entrant values exceed the buffer while subscribed', () => {
    const sink = buffered<number>(2);
    const results: EmitResult[] = [];
    record(sink.asObservable(), (v) => {
      if (v === 0) for (let i = 1; i <= 3; i++) results.push(sink.tryEmitNext(i));
    });
    sink.tryEmitNext(0);
    expect(results).toEqual(['OK', 'OK', 'FAIL_OVERFLOW']);
  });

  it('emitNext on FAIL_OVERFLOW terminates the sink with an OverflowError', () => {
    const sink = buffered<number>(1);
    const rec = record(sink.asObservable(), (v) => {
      if (v === 0) {
        sink.emitNext(1, EmitFailureHandler.FAIL_FAST);
        sink.emitNext(2, EmitFailureHandler.FAIL_FAST);
      }
    });
    sink.tryEmitNext(0);
    expect(rec.values).toEqual([0]); // the error cuts ahead of the queued 1
    expect(rec.error).toBeInstanceOf(OverflowError);
    expect(sink.tryEmitNext(3)).toBe(EmitResult.FAIL_TERMINATED);
  });
});

describe('multicast().onBackpressureBuffer() arguments', () => {
  it('rejects a bufferSize below 1', () => {
    expect(() => buffered(0)).toThrow(RangeError);
    expect(() => buffered(1.5)).toThrow(RangeError);
  });
});
