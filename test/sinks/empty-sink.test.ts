import { afterEach, describe, expect, it } from 'vitest';
import { EmitFailureHandler, EmitResult, SinkHooks, Sinks } from '../../src/sinks/index.js';
import { record, subscribeClosed } from './recorder.js';

afterEach(() => SinkHooks.reset());

describe('Sinks.empty()', () => {
  it('completes current subscribers and replays completion to late ones', () => {
    const sink = Sinks.empty<string>();
    const early = record(sink.asObservable());
    expect(sink.currentSubscriberCount()).toBe(1);
    expect(sink.tryEmitEmpty()).toBe(EmitResult.OK);
    const late = record(sink.asObservable());
    expect(early.completed && late.completed).toBe(true);
    expect(early.values).toEqual([]);
    expect(sink.currentSubscriberCount()).toBe(0);
    expect(sink.tryEmitEmpty()).toBe(EmitResult.FAIL_TERMINATED);
  });

  it('fails current subscribers and replays the error to late ones', () => {
    const sink = Sinks.empty();
    const boom = new Error('boom');
    const early = record(sink.asObservable());
    sink.emitError(boom, EmitFailureHandler.FAIL_FAST);
    const late = record(sink.asObservable());
    expect(early.error).toBe(boom);
    expect(late.error).toBe(boom);
    expect(sink.tryEmitError(boom)).toBe(EmitResult.FAIL_TERMINATED);
  });

  it('emitError on a terminated sink hands the error to SinkHooks.onErrorDropped', () => {
    const dropped: unknown[] = [];
    SinkHooks.onErrorDropped = (e) => dropped.push(e);
    const sink = Sinks.empty();
    sink.emitEmpty(EmitFailureHandler.FAIL_FAST);
    const late = new Error('late');
    sink.emitError(late, EmitFailureHandler.FAIL_FAST);
    sink.emitEmpty(EmitFailureHandler.FAIL_FAST); // silently ignored
    expect(dropped).toEqual([late]);
  });
});

describe('Sinks.empty() — Reactor SinkEmptyMulticastTest', () => {
  // Reactor: #currentSubscriberCount, #currentSubscriberCountReflectsCancellation
  it('counts subscribers and forgets those that leave or arrive unsubscribed', () => {
    const sink = Sinks.empty();
    subscribeClosed(sink.asObservable());
    expect(sink.currentSubscriberCount()).toBe(0);
    const a = record(sink.asObservable());
    record(sink.asObservable());
    expect(sink.currentSubscriberCount()).toBe(2);
    a.subscription.unsubscribe();
    expect(sink.currentSubscriberCount()).toBe(1);
  });

  // Reactor: #doubleError, #doubleSignal
  it('accepts one terminal signal; a later error fails with FAIL_TERMINATED', () => {
    const failed = Sinks.empty();
    expect(failed.tryEmitError(new Error('test'))).toBe(EmitResult.OK);
    expect(failed.tryEmitError(new Error('test'))).toBe(EmitResult.FAIL_TERMINATED);
    const completed = Sinks.empty();
    expect(completed.tryEmitEmpty()).toBe(EmitResult.OK);
    expect(completed.tryEmitError(new Error('test'))).toBe(EmitResult.FAIL_TERMINATED);
  });
});
