import { describe, expect, it } from 'vitest';
import { EmitFailureHandler, EmitResult, IllegalStateError, Sinks } from '../../src/sinks/index.js';
import { record, subscribeClosed } from './recorder.js';

describe('unicast().onBackpressureBuffer()', () => {
  it('buffers values until the subscriber arrives, then delivers them and goes live', () => {
    const sink = Sinks.many().unicast().onBackpressureBuffer<number>();
    for (let i = 1; i <= 1000; i++) expect(sink.tryEmitNext(i)).toBe(EmitResult.OK);
    expect(sink.currentSubscriberCount()).toBe(0);
    const rec = record(sink.asObservable());
    expect(sink.currentSubscriberCount()).toBe(1);
    sink.tryEmitNext(1001);
    expect(rec.values).toHaveLength(1001);
    expect(rec.values.at(-1)).toBe(1001);
  });

  it('rejects a second subscriber with an IllegalStateError and leaves the first alone', () => {
    const sink = Sinks.many().unicast().onBackpressureBuffer<number>();
    const first = record(sink.asObservable());
    const second = record(sink.asObservable());
    expect(second.error).toBeInstanceOf(IllegalStateError);
    expect((second.error as Error).message).toBe('Sinks.many().unicast() sinks only allow a single Subscriber');
    sink.tryEmitNext(1);
    expect(first.values).toEqual([1]);
  });

  it('fails with FAIL_CANCELLED once its subscriber has cancelled, and accepts nobody new', () => {
    const sink = Sinks.many().unicast().onBackpressureBuffer<number>();
    const first = record(sink.asObservable());
    first.subscription.unsubscribe();
    expect(sink.currentSubscriberCount()).toBe(0);
    expect(sink.tryEmitNext(1)).toBe(EmitResult.FAIL_CANCELLED);
    expect(sink.tryEmitComplete()).toBe(EmitResult.FAIL_CANCELLED);
    expect(sink.tryEmitError(new Error('x'))).toBe(EmitResult.FAIL_CANCELLED);
    expect(record(sink.asObservable()).error).toBeInstanceOf(IllegalStateError);
  });

  it('replays buffered values then completion to a subscriber arriving after complete', () => {
    const sink = Sinks.many().unicast().onBackpressureBuffer<string>();
    sink.tryEmitNext('a');
    expect(sink.tryEmitComplete()).toBe(EmitResult.OK);
    expect(sink.tryEmitNext('b')).toBe(EmitResult.FAIL_TERMINATED);
    const rec = record(sink.asObservable());
    expect(rec.values).toEqual(['a']);
    expect(rec.completed).toBe(true);
    expect(sink.currentSubscriberCount()).toBe(0);
  });

  it('delivers buffered values before an error (unlike the multicast buffer)', () => {
    const sink = Sinks.many().unicast().onBackpressureBuffer<string>();
    sink.tryEmitNext('a');
    const boom = new Error('boom');
    sink.tryEmitError(boom);
    const rec = record(sink.asObservable());
    expect(rec.values).toEqual(['a']);
    expect(rec.error).toBe(boom);
    expect(sink.tryEmitError(boom)).toBe(EmitResult.FAIL_TERMINATED);
  });

  it('queues a re-entrant emission and delivers it after the current value', () => {
    const sink = Sinks.many().unicast().onBackpressureBuffer<number>();
    const results: EmitResult[] = [];
    const rec = record(sink.asObservable(), (v) => {
      if (v === 1) results.push(sink.tryEmitNext(2), sink.tryEmitComplete());
    });
    sink.tryEmitNext(1);
    expect(results).toEqual(['OK', 'OK']);
    expect(rec.values).toEqual([1, 2]);
    expect(rec.completed).toBe(true);
  });

  it('with a capacity: FAIL_ZERO_SUBSCRIBER when full before subscribe, FAIL_OVERFLOW when full after', () => {
    const sink = Sinks.many().unicast().onBackpressureBuffer<number>(2);
    expect([1, 2, 3].map((v) => sink.tryEmitNext(v))).toEqual(['OK', 'OK', 'FAIL_ZERO_SUBSCRIBER']);
    const results: EmitResult[] = [];
    const rec = record(sink.asObservable(), (v) => {
      if (v === 1) for (let i = 10; i < 13; i++) results.push(sink.tryEmitNext(i));
    });
    // While 1 is delivered, 2 is still queued: one free slot, then overflow.
    expect(results).toEqual(['OK', 'FAIL_OVERFLOW', 'FAIL_OVERFLOW']);
    expect(rec.values).toEqual([1, 2, 10]);
    expect(() => Sinks.many().unicast().onBackpressureBuffer(0)).toThrow(RangeError);
  });
});

describe('unicast().onBackpressureError()', () => {
  it('fails every emission with FAIL_ZERO_SUBSCRIBER before the subscriber arrives', () => {
    const sink = Sinks.many().unicast().onBackpressureError<number>();
    expect(sink.tryEmitNext(1)).toBe(EmitResult.FAIL_ZERO_SUBSCRIBER);
    expect(sink.tryEmitComplete()).toBe(EmitResult.FAIL_ZERO_SUBSCRIBER);
    expect(sink.tryEmitError(new Error('x'))).toBe(EmitResult.FAIL_ZERO_SUBSCRIBER);
    const rec = record(sink.asObservable());
    expect(rec.values).toEqual([]);
    expect(sink.tryEmitNext(2)).toBe(EmitResult.OK);
    expect(rec.values).toEqual([2]);
  });

  it('terminates, refuses re-entrance, rejects a second subscriber, and reports cancellation', () => {
    const sink = Sinks.many().unicast().onBackpressureError<number>();
    const results: EmitResult[] = [];
    const rec = record(sink.asObservable(), () => results.push(sink.tryEmitNext(0)));
    expect(record(sink.asObservable()).error).toBeInstanceOf(IllegalStateError);
    sink.tryEmitNext(1);
    expect(results).toEqual(['FAIL_NON_SERIALIZED']);
    expect(sink.tryEmitComplete()).toBe(EmitResult.OK);
    expect(rec.completed).toBe(true);
    expect(sink.tryEmitNext(2)).toBe(EmitResult.FAIL_TERMINATED);

    const other = Sinks.many().unicast().onBackpressureError<number>();
    record(other.asObservable()).subscription.unsubscribe();
    expect(other.tryEmitNext(1)).toBe(EmitResult.FAIL_CANCELLED);
    expect(other.currentSubscriberCount()).toBe(0);
  });
});

describe('unicast().onBackpressureBuffer() — Reactor SinkManyUnicastTest', () => {
  // Reactor: #currentSubscriberCount, #subscriptionCancelUpdatesDownstreamCount
  it('counts its one subscriber, and not after it cancelled', () => {
    const sink = Sinks.many().unicast().onBackpressureBuffer<number>();
    expect(sink.currentSubscriberCount()).toBe(0);
    const rec = record(sink.asObservable());
    expect(sink.currentSubscriberCount()).toBe(1);
    rec.subscription.unsubscribe();
    expect(sink.currentSubscriberCount()).toBe(0);
  });

  // Reactor: #secondSubscriberRejectedProperly
  it('a second subscriber gets only the IllegalStateError: no value, no completion', () => {
    const sink = Sinks.many().unicast().onBackpressureBuffer<number>();
    sink.tryEmitNext(1);
    record(sink.asObservable());
    const second = record(sink.asObservable());
    expect(second.values).toEqual([]);
    expect(second.error).toBeInstanceOf(IllegalStateError);
    expect(second.completed).toBe(false);
  });

  // Reactor: #tryEmitNextWithNoSubscriberAndBoundedQueueFailsZeroSubscriber,
  // #emitNextWithNoSubscriberAndBoundedQueueIgnoresValueAndKeepsSinkOpen
  it('capacity 1: a second value before the subscriber is dropped and the sink stays open', () => {
    const sink = Sinks.many().unicast().onBackpressureBuffer<number>(1);
    expect(sink.tryEmitNext(1)).toBe(EmitResult.OK);
    expect(sink.tryEmitNext(2)).toBe(EmitResult.FAIL_ZERO_SUBSCRIBER);
    sink.emitNext(3, EmitFailureHandler.FAIL_FAST);
    const rec = record(sink.asObservable());
    expect(rec.values).toEqual([1]);
    expect(rec.completed || rec.errored).toBe(false);
    expect(sink.tryEmitComplete()).toBe(EmitResult.OK);
    expect(rec.completed).toBe(true);
  });

  // Reactor: #emitWithoutSubscriberAndSubscribeCancellingSubscriptionDiscards
  it('a subscriber that arrives unsubscribed cancels the sink: the queue is discarded, not delivered', () => {
    const sink = Sinks.many().unicast().onBackpressureBuffer<string>();
    sink.tryEmitNext('Hello');
    expect(subscribeClosed(sink.asObservable()).values).toEqual([]);
    expect(sink.currentSubscriberCount()).toBe(0);
    expect(sink.tryEmitNext('again')).toBe(EmitResult.FAIL_CANCELLED);
  });
});

describe('unicast().onBackpressureError() — Reactor SinkManyUnicastNoBackpressureTest', () => {
  // Reactor: #currentSubscriberCount
  it('counts its one subscriber', () => {
    const sink = Sinks.many().unicast().onBackpressureError<number>();
    expect(sink.currentSubscriberCount()).toBe(0);
    record(sink.asObservable());
    expect(sink.currentSubscriberCount()).toBe(1);
  });

  // Reactor: #completed, #errored
  it('after complete or error, next fails with FAIL_TERMINATED', () => {
    const completed = Sinks.many().unicast().onBackpressureError<string>();
    record(completed.asObservable());
    expect(completed.tryEmitComplete()).toBe(EmitResult.OK);
    expect(completed.tryEmitNext('hi')).toBe(EmitResult.FAIL_TERMINATED);
    const errored = Sinks.many().unicast().onBackpressureError<string>();
    const rec = record(errored.asObservable());
    expect(errored.tryEmitError(new Error('boom'))).toBe(EmitResult.OK);
    expect((rec.error as Error).message).toBe('boom');
    expect(errored.tryEmitNext('hi')).toBe(EmitResult.FAIL_TERMINATED);
  });

  // Reactor: #cancelled (cancelled before any emission)
  it('a subscriber that arrives unsubscribed cancels the sink', () => {
    const sink = Sinks.many().unicast().onBackpressureError<string>();
    subscribeClosed(sink.asObservable());
    expect(sink.tryEmitNext('hi')).toBe(EmitResult.FAIL_CANCELLED);
  });

  // Reactor: #beforeSubscriberEmitNextIsIgnoredKeepsSinkOpen
  it('emitNext before the subscriber is dropped, and the sink stays usable', () => {
    const sink = Sinks.many().unicast().onBackpressureError<string>();
    sink.emitNext('hi', EmitFailureHandler.FAIL_FAST);
    sink.emitComplete(EmitFailureHandler.FAIL_FAST); // FAIL_ZERO_SUBSCRIBER: ignored, still open
    const rec = record(sink.asObservable());
    sink.emitNext('second', EmitFailureHandler.FAIL_FAST);
    sink.emitComplete(EmitFailureHandler.FAIL_FAST);
    expect(rec.values).toEqual(['second']);
    expect(rec.completed).toBe(true);
  });
});
