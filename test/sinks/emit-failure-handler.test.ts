import { afterEach, describe, expect, it } from 'vitest';
import {
  EmissionError,
  EmitFailureHandler,
  EmitResult,
  OverflowError,
  SinkHooks,
  Sinks,
} from '../../src/sinks/index.js';
import type { EmitSignal } from '../../src/sinks/index.js';
import { record, type Recording } from './recorder.js';

afterEach(() => SinkHooks.reset());

/** Runs `body` inside a subscriber callback, where the sink is busy delivering. */
function whileDelivering(body: (sink: ReturnType<typeof direct>) => void) {
  const sink = direct();
  let thrown: unknown;
  record(sink.asObservable(), (v) => {
    if (v !== 0) return;
    try {
      body(sink);
    } catch (error) {
      thrown = error;
    }
  });
  sink.tryEmitNext(0);
  return { sink, thrown };
}

const direct = () => Sinks.many().multicast().directBestEffort<number>();

describe('EmitFailureHandler', () => {
  it('FAIL_FAST never asks for a retry', () => {
    expect(EmitFailureHandler.FAIL_FAST('next', EmitResult.FAIL_NON_SERIALIZED)).toBe(false);
  });

  it('emit* retries while the handler returns true, telling it the signal and result', () => {
    const sink = direct();
    const calls: Array<[EmitSignal, EmitResult]> = [];
    let rec: Recording<number> | undefined;
    sink.emitNext(7, (signal, result) => {
      calls.push([signal, result]);
      if (calls.length === 3) rec = record(sink.asObservable()); // third retry will succeed
      return true;
    });
    expect(calls).toEqual([
      ['next', 'FAIL_ZERO_SUBSCRIBER'],
      ['next', 'FAIL_ZERO_SUBSCRIBER'],
      ['next', 'FAIL_ZERO_SUBSCRIBER'],
    ]);
    expect(rec?.values).toEqual([7]);
  });

  it('busyLooping retries FAIL_NON_SERIALIZED only, until its deadline', () => {
    let now = 0;
    const handler = EmitFailureHandler.busyLooping(100, () => now);
    expect(handler('next', EmitResult.FAIL_NON_SERIALIZED)).toBe(true);
    expect(handler('next', EmitResult.FAIL_OVERFLOW)).toBe(false);
    now = 99;
    expect(handler('complete', EmitResult.FAIL_NON_SERIALIZED)).toBe(true);
    now = 100;
    expect(handler('next', EmitResult.FAIL_NON_SERIALIZED)).toBe(false);
  });

  it('busyLooping cannot outwait a re-entrant call: it spins to the deadline, then emitNext throws', () => {
    let now = 0;
    const handler = EmitFailureHandler.busyLooping(50, () => (now += 10)); // deadline: 10 + 50
    let attempts = 0;
    const { thrown } = whileDelivering((sink) => {
      sink.emitNext(1, (signal, result) => {
        attempts++;
        return handler(signal, result);
      });
    });
    expect(attempts).toBe(5); // asked at 20, 30, 40, 50 (retry) and 60 (give up)
    expect(thrown).toBeInstanceOf(EmissionError);
  });
});

describe('emitNext when the handler gives up (Reactor InternalManySink.emitNext)', () => {
  it('FAIL_ZERO_SUBSCRIBER: drops the value silently and keeps the sink open', () => {
    const sink = direct();
    expect(() => sink.emitNext(1, EmitFailureHandler.FAIL_FAST)).not.toThrow();
    const rec = record(sink.asObservable());
    sink.emitNext(2, EmitFailureHandler.FAIL_FAST);
    expect(rec.values).toEqual([2]);
  });

  it('FAIL_OVERFLOW: terminates the sink with an OverflowError', () => {
    const sink = Sinks.many().multicast().onBackpressureBuffer<number>(1);
    const rec = record(sink.asObservable(), (v) => {
      if (v === 0)
        [1, 2].forEach((n) => {
          sink.emitNext(n, EmitFailureHandler.FAIL_FAST);
        });
    });
    sink.tryEmitNext(0);
    expect(rec.error).toBeInstanceOf(OverflowError);
    expect((rec.error as Error).message).toBe('Backpressure overflow during Sinks.Many#emitNext');
  });

  it('FAIL_CANCELLED: discards the value without throwing', () => {
    const sink = Sinks.many().unicast().onBackpressureBuffer<number>();
    record(sink.asObservable()).subscription.unsubscribe();
    expect(() => sink.emitNext(1, EmitFailureHandler.FAIL_FAST)).not.toThrow();
    expect(() => sink.emitComplete(EmitFailureHandler.FAIL_FAST)).not.toThrow();
  });

  it('FAIL_TERMINATED: drops the value through SinkHooks.onNextDropped', () => {
    const dropped: unknown[] = [];
    SinkHooks.onNextDropped = (v) => dropped.push(v);
    const sink = direct();
    sink.emitComplete(EmitFailureHandler.FAIL_FAST);
    sink.emitNext(1, EmitFailureHandler.FAIL_FAST);
    sink.emitComplete(EmitFailureHandler.FAIL_FAST); // silently ignored
    expect(dropped).toEqual([1]);
  });

  it('FAIL_NON_SERIALIZED: throws an EmissionError carrying the result', () => {
    const { thrown } = whileDelivering((sink) => sink.emitNext(1, EmitFailureHandler.FAIL_FAST));
    expect(thrown).toBeInstanceOf(EmissionError);
    expect((thrown as EmissionError).result).toBe(EmitResult.FAIL_NON_SERIALIZED);
  });

  it('emitComplete and emitError also throw on FAIL_NON_SERIALIZED', () => {
    expect(whileDelivering((s) => s.emitComplete(EmitFailureHandler.FAIL_FAST)).thrown).toBeInstanceOf(EmissionError);
    expect(whileDelivering((s) => s.emitError(new Error('x'), EmitFailureHandler.FAIL_FAST)).thrown).toBeInstanceOf(
      EmissionError,
    );
  });

  it('emitError on a terminated sink hands the error to SinkHooks.onErrorDropped', () => {
    const dropped: unknown[] = [];
    SinkHooks.onErrorDropped = (e) => dropped.push(e);
    const sink = direct();
    sink.emitError(new Error('first'), EmitFailureHandler.FAIL_FAST);
    const second = new Error('second');
    sink.emitError(second, EmitFailureHandler.FAIL_FAST);
    expect(dropped).toEqual([second]);
  });
});
