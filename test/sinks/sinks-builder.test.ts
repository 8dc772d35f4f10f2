import { describe, expect, it } from 'vitest';
import * as api from '../../src/sinks/index.js';

const { Sinks, DEFAULT_BUFFER_SIZE } = api;

describe('Sinks builder (seatstream/sinks entry point)', () => {
  it('exports the public API from index.ts', () => {
    expect(Object.keys(api).sort()).toEqual(
      [
        'DEFAULT_BUFFER_SIZE',
        'EmissionError',
        'EmitFailureHandler',
        'EmitResult',
        'IllegalStateError',
        'OverflowError',
        'SinkHooks',
        'Sinks',
        'isFailure',
        'isSuccess',
        'orThrow',
      ].sort(),
    );
    expect(DEFAULT_BUFFER_SIZE).toBe(256);
  });

  it('creates a new, independent sink on every call', () => {
    const a = Sinks.many().multicast().directBestEffort<number>();
    const b = Sinks.many().multicast().directBestEffort<number>();
    expect(a).not.toBe(b);
    a.asObservable().subscribe();
    expect(a.currentSubscriberCount()).toBe(1);
    expect(b.currentSubscriberCount()).toBe(0);
  });

  it('offers every Reactor flavour with the documented shape', () => {
    const many = Sinks.many();
    const sinks = [
      many.multicast().onBackpressureBuffer<number>(),
      many.multicast().onBackpressureBuffer<number>(8, false),
      many.multicast().directAllOrNothing<number>(),
      many.multicast().directBestEffort<number>(),
      many.replay().all<number>(),
      many.replay().latest<number>(),
      many.replay().latestOrDefault(0),
      many.replay().limit<number>(3),
      many.replay().limit<number>({ maxAgeMs: 1000 }),
      many.replay().limit<number>(3, { maxAgeMs: 1000, clock: () => 0 }),
      many.unicast().onBackpressureBuffer<number>(),
      many.unicast().onBackpressureError<number>(),
    ];
    for (const sink of sinks) {
      for (const method of [
        'tryEmitNext',
        'tryEmitComplete',
        'tryEmitError',
        'emitNext',
        'emitComplete',
        'emitError',
      ]) {
        expect(typeof (sink as unknown as Record<string, unknown>)[method]).toBe('function');
      }
      expect(sink.currentSubscriberCount()).toBe(0);
    }
    expect(typeof Sinks.one<number>().tryEmitValue).toBe('function');
    expect(typeof Sinks.empty().tryEmitEmpty).toBe('function');
  });
});
