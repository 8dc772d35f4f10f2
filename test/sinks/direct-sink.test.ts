import { map, take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EmitResult, Sinks } from '../../src/sinks/index.js';
import type { ManySink } from '../../src/sinks/index.js';
import { record, type Recording, subscribeClosed } from './recorder.js';

const flavours: Array<[string, <T>() => ManySink<T>]> = [
  ['directBestEffort', <T>() => Sinks.many().multicast().directBestEffort<T>()],
  ['directAllOrNothing', <T>() => Sinks.many().multicast().directAllOrNothing<T>()],
];

describe.each(flavours)('multicast().%s()', (_name, create) => {
  it('fails with FAIL_ZERO_SUBSCRIBER when nobody is subscribed, and drops the value', () => {
    const sink = create<number>();
    expect(sink.tryEmitNext(1)).toBe(EmitResult.FAIL_ZERO_SUBSCRIBER);
    const late = record(sink.asObservable());
    expect(late.values).toEqual([]);
  });

  it('delivers each value to every current subscriber (RxJS demand is unbounded)', () => {
    const sink = create<number>();
    const a = record(sink.asObservable());
    const b = record(sink.asObservable());
    expect(sink.currentSubscriberCount()).toBe(2);
    expect(sink.tryEmitNext(1)).toBe(EmitResult.OK);
    const c = record(sink.asObservable());
    expect(sink.tryEmitNext(2)).toBe(EmitResult.OK);
    expect(a.values).toEqual([1, 2]);
    expect(b.values).toEqual([1, 2]);
    expect(c.values).toEqual([2]); // no replay
  });

  it('stays usable after its subscribers leave (no autoCancel)', () => {
    const sink = create<number>();
    const a = record(sink.asObservable());
    a.subscription.unsubscribe();
    expect(sink.currentSubscriberCount()).toBe(0);
    expect(sink.tryEmitNext(1)).toBe(EmitResult.FAIL_ZERO_SUBSCRIBER);
    const b = record(sink.asObservable());
    expect(sink.tryEmitNext(2)).toBe(EmitResult.OK);
    expect(b.values).toEqual([2]);
  });

  it('completes without subscribers and replays completion to late subscribers', () => {
    const sink = create<number>();
    expect(sink.tryEmitComplete()).toBe(EmitResult.OK);
    const late = record(sink.asObservable());
    expect(late.completed).toBe(true);
    expect(sink.currentSubscriberCount()).toBe(0);
    expect(sink.tryEmitNext(1)).toBe(EmitResult.FAIL_TERMINATED);
    expect(sink.tryEmitComplete()).toBe(EmitResult.FAIL_TERMINATED);
    expect(sink.tryEmitError(new Error('x'))).toBe(EmitResult.FAIL_TERMINATED);
  });

  it('errors current subscribers and replays the error to late ones', () => {
    const sink = create<number>();
    const early = record(sink.asObservable());
    const boom = new Error('boom');
    expect(sink.tryEmitError(boom)).toBe(EmitResult.OK);
    const late = record(sink.asObservable());
    expect(early.error).toBe(boom);
    expect(late.error).toBe(boom);
    expect(sink.currentSubscriberCount()).toBe(0);
  });

  it('refuses re-entrant emission from a subscriber with FAIL_NON_SERIALIZED, then accepts again', () => {
    const sink = create<number>();
    const seen: EmitResult[] = [];
    const a = record(sink.asObservable(), (v) => {
      if (v === 1) {
        seen.push(sink.tryEmitNext(99), sink.tryEmitComplete(), sink.tryEmitError(new Error('x')));
      }
    });
    const b = record(sink.asObservable());
    expect(sink.tryEmitNext(1)).toBe(EmitResult.OK);
    expect(seen).toEqual(['FAIL_NON_SERIALIZED', 'FAIL_NON_SERIALIZED', 'FAIL_NON_SERIALIZED']);
    expect(sink.tryEmitNext(2)).toBe(EmitResult.OK);
    expect(a.values).toEqual([1, 2]);
    expect(b.values).toEqual([1, 2]);
  });

  it('lets a subscriber callback subscribe or unsubscribe others; changes apply from the next value', () => {
    const sink = create<number>();
    let late: Recording<number> | undefined;
    const victim: { rec?: Recording<number> } = {};
    record(sink.asObservable(), (v) => {
      if (v === 1) {
        late = record(sink.asObservable());
        victim.rec?.subscription.unsubscribe();
      }
    });
    victim.rec = record(sink.asObservable());
    sink.tryEmitNext(1);
    sink.tryEmitNext(2);
    expect(late?.values).toEqual([2]);
    expect(victim.rec.values).toEqual([]); // unsubscribed before its turn: RxJS ignores the call
    expect(sink.currentSubscriberCount()).toBe(2);
  });

  it('works with operators; take(n) unsubscribes and lowers the count', () => {
    const sink = create<number>();
    const rec = record(
      sink.asObservable().pipe(
        map((v) => v * 10),
        take(2),
      ),
    );
    sink.tryEmitNext(1);
    sink.tryEmitNext(2);
    expect(rec.values).toEqual([10, 20]);
    expect(rec.completed).toBe(true);
    expect(sink.currentSubscriberCount()).toBe(0);
    expect(sink.tryEmitNext(3)).toBe(EmitResult.FAIL_ZERO_SUBSCRIBER);
  });

  it('returns the same Observable view every time', () => {
    const sink = create<number>();
    expect(sink.asObservable()).toBe(sink.asObservable());
  });
});

describe.each(flavours)('multicast().%s() — Reactor SinkManyBestEffortTest', (_name, create) => {
  // Reactor: #tryEmitErrorOnTerminated
  it('a second error fails with FAIL_TERMINATED and late subscribers still get the first', () => {
    const sink = create<number>();
    const first = new Error('boom');
    expect(sink.tryEmitError(first)).toBe(EmitResult.OK);
    expect(sink.tryEmitError(new Error('boom ignored'))).toBe(EmitResult.FAIL_TERMINATED);
    expect(record(sink.asObservable()).error).toBe(first);
  });

  // Reactor: #tryEmitCompleteOnTerminated, #tryEmitNextOnTerminated
  it('after complete, complete and next fail with FAIL_TERMINATED', () => {
    const sink = create<number>();
    record(sink.asObservable());
    expect(sink.tryEmitComplete()).toBe(EmitResult.OK);
    expect(sink.tryEmitComplete()).toBe(EmitResult.FAIL_TERMINATED);
    expect(sink.tryEmitNext(1)).toBe(EmitResult.FAIL_TERMINATED);
  });

  // Reactor: #addSubscriberThatCancelsOnSubscription
  it('a subscriber arriving already unsubscribed is not counted', () => {
    const sink = create<number>();
    subscribeClosed(sink.asObservable());
    expect(sink.currentSubscriberCount()).toBe(0);
    expect(sink.tryEmitNext(1)).toBe(EmitResult.FAIL_ZERO_SUBSCRIBER);
  });
});
