import { take } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { EmitFailureHandler, EmitResult, OverflowError, SinkHooks, Sinks } from '../../src/sinks/index.js';
import { record, subscribeClosed } from './recorder.js';

afterEach(() => SinkHooks.reset());

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

describe('multicast().onBackpressureBuffer() — Reactor SinkManyEmitterProcessorTest', () => {
  // Reactor: #currentSubscriberCount, #normal
  it('counts subscribers, and none once the terminal signal went out', () => {
    const sink = buffered<number>();
    expect(sink.currentSubscriberCount()).toBe(0);
    const a = record(sink.asObservable());
    expect(sink.currentSubscriberCount()).toBe(1);
    record(sink.asObservable());
    expect(sink.currentSubscriberCount()).toBe(2);
    sink.tryEmitNext(1);
    sink.tryEmitNext(2);
    sink.tryEmitComplete();
    expect(a.values).toEqual([1, 2]);
    expect(a.completed).toBe(true);
    expect(sink.currentSubscriberCount()).toBe(0);
  });

  // Reactor: #failZeroBufferSize, #failNegativeBufferSize
  it('rejects a bufferSize of 0 or less, naming it', () => {
    expect(() => buffered(0)).toThrow(new RangeError('bufferSize must be an integer > 0, was 0'));
    expect(() => buffered(-1)).toThrow(new RangeError('bufferSize must be an integer > 0, was -1'));
  });

  // Reactor: #failDoubleError
  it('a second error is dropped to SinkHooks.onErrorDropped; subscribers keep the first', () => {
    const dropped: unknown[] = [];
    SinkHooks.onErrorDropped = (e) => dropped.push(e);
    const sink = buffered<number>();
    const rec = record(sink.asObservable());
    const first = new Error('test');
    const second = new Error('test2');
    sink.emitError(first, EmitFailureHandler.FAIL_FAST);
    sink.emitError(second, EmitFailureHandler.FAIL_FAST);
    expect(rec.error).toBe(first);
    expect(dropped).toEqual([second]);
  });

  // Reactor: #failCompleteThenError
  it('after complete, a second complete is a no-op and an error is dropped', () => {
    const dropped: unknown[] = [];
    SinkHooks.onErrorDropped = (e) => dropped.push(e);
    const sink = buffered<number>();
    const rec = record(sink.asObservable());
    sink.emitComplete(EmitFailureHandler.FAIL_FAST);
    expect(sink.tryEmitComplete()).toBe(EmitResult.FAIL_TERMINATED);
    const late = new Error('test');
    sink.emitError(late, EmitFailureHandler.FAIL_FAST);
    expect(rec.completed).toBe(true);
    expect(rec.errored).toBe(false);
    expect(dropped).toEqual([late]);
  });

  // Reactor: #tryEmitNextWithNoSubscriberFailsOnlyIfNoCapacity
  it('bufferSize 1: one value waits for the first subscriber, the next fails with FAIL_ZERO_SUBSCRIBER', () => {
    const sink = buffered<number>(1);
    expect(sink.tryEmitNext(1)).toBe(EmitResult.OK);
    expect(sink.tryEmitNext(2)).toBe(EmitResult.FAIL_ZERO_SUBSCRIBER);
    const rec = record(sink.asObservable());
    expect(sink.tryEmitComplete()).toBe(EmitResult.OK);
    expect(rec.values).toEqual([1]);
    expect(rec.completed).toBe(true);
  });

  // Reactor: #tryEmitNextWithNoSubscriberFailsIfNoCapacityAndAllSubscribersCancelledAndNoAutoTermination
  it('autoCancel=false: after the only subscriber cancels, the buffer fills again, then FAIL_ZERO_SUBSCRIBER', () => {
    const sink = buffered<number>(1, false);
    const rec = record(sink.asObservable());
    expect([1, 2, 3].map((v) => sink.tryEmitNext(v))).toEqual(['OK', 'OK', 'OK']);
    rec.subscription.unsubscribe();
    expect(sink.tryEmitNext(4)).toBe(EmitResult.OK);
    expect(sink.tryEmitNext(5)).toBe(EmitResult.FAIL_ZERO_SUBSCRIBER);
  });

  // Reactor: #scanMainCancelled
  it('autoCancel: a subscriber that unsubscribes leaves the sink cancelled', () => {
    const sink = buffered<number>();
    sink.asObservable().subscribe().unsubscribe();
    expect(sink.tryEmitNext(1)).toBe(EmitResult.FAIL_CANCELLED);
  });

  // Reactor: SinkManyEmitterProcessor#subscribe returns early for an inner cancelled in onSubscribe,
  // before add(): such a subscriber never counts, so it cannot trigger autoCancel.
  it('a subscriber arriving already unsubscribed is not counted and does not auto-cancel the sink', () => {
    const sink = buffered<number>(16, true);
    sink.tryEmitNext(1);
    const closed = subscribeClosed(sink.asObservable());
    expect(closed.values).toEqual([]);
    expect(sink.currentSubscriberCount()).toBe(0);
    expect(sink.tryEmitNext(2)).toBe(EmitResult.OK);
    expect(record(sink.asObservable()).values).toEqual([1, 2]);
  });

  // Reactor: #testNPE (a take(1) subscriber next to an unbounded one)
  it('a subscriber that takes one value and leaves does not disturb the others', () => {
    const sink = buffered<number>(8);
    const first = record(sink.asObservable().pipe(take(1)));
    const second = record(sink.asObservable());
    [1, 2, 3].forEach((v) => {
      sink.tryEmitNext(v);
    });
    expect(first.values).toEqual([1]);
    expect(first.completed).toBe(true);
    expect(second.values).toEqual([1, 2, 3]);
    expect(sink.currentSubscriberCount()).toBe(1);
  });
});
