import { catchError, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EmitFailureHandler, IllegalStateError, Sinks } from '../../src/sinks/index.js';
import type { ManySink } from '../../src/sinks/index.js';
import { record } from './recorder.js';

// The shared contracts Reactor's SinksTest checks for each Sinks.many() flavour: how many values a late
// subscriber is replayed, what the first subscriber gets from before it arrived, and unicast exclusivity.
// Contracts about request(n) (honorsMultipleSubscribersBackpressure) have no RxJS counterpart.

const { FAIL_FAST } = EmitFailureHandler;
type Factory = () => ManySink<number>;
const NONE = 0;
const ALL = Number.POSITIVE_INFINITY;

function emitRange(sink: ManySink<number>, count: number): void {
  for (let i = 0; i < count; i++) sink.emitNext(i, FAIL_FAST);
}

/** The values of 0..count-1 a history of `kept` retains. */
function lastOf(count: number, kept: number): number[] {
  return Array.from({ length: count }, (_, i) => i).slice(Math.max(0, count - kept));
}

// Reactor: SinksTest#expectReplay (NONE, ALL and N variants)
function describeReplay(name: string, create: Factory, replayed: number): void {
  const count = replayed === ALL ? 3 : replayed + 10;
  describe(`${name}: late subscribers are replayed ${replayed === ALL ? 'everything' : replayed}`, () => {
    it('gets the history, then live values and completion', () => {
      const sink = create();
      const first = record(sink.asObservable());
      emitRange(sink, count);
      expect(first.values).toHaveLength(count);
      const late = record(sink.asObservable());
      expect(late.values).toEqual(lastOf(count, replayed));
      expect(late.completed).toBe(false);
      sink.emitComplete(FAIL_FAST);
      expect(first.completed).toBe(true);
      expect(late.values).toEqual(lastOf(count, replayed));
      expect(late.completed).toBe(true);
    });

    it('after completion: history, then complete', () => {
      const sink = create();
      sink.asObservable().subscribe();
      emitRange(sink, count);
      sink.emitComplete(FAIL_FAST);
      const late = record(sink.asObservable());
      expect(late.values).toEqual(lastOf(count, replayed));
      expect(late.completed).toBe(true);
    });

    it('after an error: history, then the error', () => {
      const sink = create();
      sink
        .asObservable()
        .pipe(catchError(() => of(-1)))
        .subscribe();
      emitRange(sink, count);
      sink.emitError(new Error('boom'), FAIL_FAST);
      const late = record(sink.asObservable());
      expect(late.values).toEqual(lastOf(count, replayed));
      expect((late.error as Error).message).toBe('boom');
    });
  });
}

// Reactor: SinksTest#expectBufferingBeforeFirstSubscriber (ALL and N variants)
function describeWarmUp(name: string, create: Factory, kept: number, errorDropsValues = false): void {
  const count = kept === ALL ? 3 : kept + 10;
  describe(`${name}: the first subscriber gets ${kept === ALL ? 'everything' : kept} emitted before it`, () => {
    it('gets the buffered values and stays open', () => {
      const sink = create();
      emitRange(sink, count);
      const first = record(sink.asObservable());
      expect(first.values).toEqual(lastOf(count, kept));
      expect(first.completed).toBe(false);
      sink.emitComplete(FAIL_FAST);
      expect(first.completed).toBe(true);
    });

    it('after completion: buffered values, then complete', () => {
      const sink = create();
      emitRange(sink, count);
      sink.emitComplete(FAIL_FAST);
      const first = record(sink.asObservable());
      expect(first.values).toEqual(lastOf(count, kept));
      expect(first.completed).toBe(true);
    });

    // Reactor: SinksTest.Multicast#noReplayBeforeFirstSubscriberIfEarlyError for the multicast buffer
    it(errorDropsValues ? 'after an error: only the error' : 'after an error: buffered values, then the error', () => {
      const sink = create();
      emitRange(sink, count);
      sink.emitError(new Error('boom'), FAIL_FAST);
      const first = record(sink.asObservable());
      expect(first.values).toEqual(errorDropsValues ? [] : lastOf(count, kept));
      expect((first.error as Error).message).toBe('boom');
    });
  });
}

// Reactor: SinksTest#expectMulticast (fluxViewReturnsSameInstance, acceptsMoreThanOneSubscriber)
function describeMulticast(name: string, create: Factory): void {
  it(`${name}: one Observable instance, any number of subscribers`, () => {
    const sink = create();
    expect(sink.asObservable()).toBe(sink.asObservable());
    const a = record(sink.asObservable());
    const b = record(sink.asObservable());
    expect(sink.currentSubscriberCount()).toBe(2);
    expect(a.errored || b.errored).toBe(false);
  });
}

describe('Reactor SinksTest contracts', () => {
  const multicastBuffer: Factory = () => Sinks.many().multicast().onBackpressureBuffer<number>(10);
  describeMulticast('multicast().onBackpressureBuffer(10)', multicastBuffer);
  describeReplay('multicast().onBackpressureBuffer(10)', multicastBuffer, NONE);
  describeWarmUp('multicast().onBackpressureBuffer(10)', multicastBuffer, ALL, true);

  const replayAll: Factory = () => Sinks.many().replay().all<number>();
  describeMulticast('replay().all()', replayAll);
  describeReplay('replay().all()', replayAll, ALL);
  describeWarmUp('replay().all()', replayAll, ALL);

  for (const size of [5, 100]) {
    const replayN: Factory = () => Sinks.many().replay().limit<number>(size);
    describeMulticast(`replay().limit(${size})`, replayN);
    describeReplay(`replay().limit(${size})`, replayN, size);
    describeWarmUp(`replay().limit(${size})`, replayN, size);
  }

  const bestEffort: Factory = () => Sinks.many().multicast().directBestEffort<number>();
  describeMulticast('multicast().directBestEffort()', bestEffort);
  describeReplay('multicast().directBestEffort()', bestEffort, NONE);

  const allOrNothing: Factory = () => Sinks.many().multicast().directAllOrNothing<number>();
  describeMulticast('multicast().directAllOrNothing()', allOrNothing);
  describeReplay('multicast().directAllOrNothing()', allOrNothing, NONE);

  const unicast: Factory = () => Sinks.many().unicast().onBackpressureBuffer<number>();
  describeWarmUp('unicast().onBackpressureBuffer()', unicast, ALL);

  // Reactor: SinksTest#expectUnicast (fluxViewReturnsSameInstance, acceptsOnlyOneSubscriber)
  it('unicast().onBackpressureBuffer(): a completed sink still serves one subscriber, and errors the next', () => {
    const sink = unicast();
    expect(sink.asObservable()).toBe(sink.asObservable());
    sink.emitComplete(FAIL_FAST);
    expect(record(sink.asObservable()).completed).toBe(true);
    const second = record(sink.asObservable());
    expect(second.error).toBeInstanceOf(IllegalStateError);
    expect((second.error as Error).message).toBe('Sinks.many().unicast() sinks only allow a single Subscriber');
  });
});
