import type { Subscriber, Subscription } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EmitResult, Sinks } from '../../src/sinks/index.js';
import { SubscriberSet } from '../../src/sinks/subscriber-set.js';

const fakeSubscriber = () => ({}) as Subscriber<number>;

describe('SubscriberSet (copy-on-write subscriber array)', () => {
  it('hands out the same array until membership changes', () => {
    const set = new SubscriberSet<number>();
    const a = fakeSubscriber();
    set.add(a);
    const first = set.snapshot();
    expect(set.snapshot()).toBe(first);
    set.add(fakeSubscriber());
    const second = set.snapshot();
    expect(second).not.toBe(first);
    expect(first).toEqual([a]); // an array being iterated is never mutated
    expect(second).toHaveLength(2);
    expect(set.delete(a)).toBe(true);
    expect(set.delete(a)).toBe(false);
    expect(set.snapshot()).toHaveLength(1);
  });

  it('takeAll empties the set and returns the former members', () => {
    const set = new SubscriberSet<number>();
    set.add(fakeSubscriber());
    expect(set.takeAll()).toHaveLength(1);
    expect(set.size).toBe(0);
    expect(set.snapshot()).toHaveLength(0);
  });
});

describe('directBestEffort fan-out at scale', () => {
  it('emits without rebuilding the subscriber array', () => {
    const sink = Sinks.many().multicast().directBestEffort<number>();
    for (let i = 0; i < 10; i++) sink.asObservable().subscribe();
    const internals = sink as unknown as { subscribers: SubscriberSet<number> };
    sink.tryEmitNext(0);
    const array = internals.subscribers.snapshot();
    for (let i = 1; i < 100; i++) sink.tryEmitNext(i);
    expect(internals.subscribers.snapshot()).toBe(array);
  });

  it('handles 50,000 subscribers joining, receiving and leaving in random order', () => {
    const n = 50_000;
    const sink = Sinks.many().multicast().directBestEffort<number>();
    let received = 0;
    const subscriptions: Subscription[] = [];
    for (let i = 0; i < n; i++) subscriptions.push(sink.asObservable().subscribe(() => received++));
    expect(sink.currentSubscriberCount()).toBe(n);
    for (let v = 0; v < 20; v++) expect(sink.tryEmitNext(v)).toBe(EmitResult.OK);
    expect(received).toBe(20 * n);
    // Fisher–Yates shuffle with a fixed LCG so the run is reproducible.
    let seed = 42;
    for (let i = n - 1; i > 0; i--) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      const j = seed % (i + 1);
      [subscriptions[i], subscriptions[j]] = [subscriptions[j] as Subscription, subscriptions[i] as Subscription];
    }
    // Interleave emissions with departures, the way SSE clients churn.
    subscriptions.forEach((s, i) => {
      s.unsubscribe();
      if (i % 5_000 === 0) sink.tryEmitNext(-1);
    });
    expect(sink.currentSubscriberCount()).toBe(0);
    expect(sink.tryEmitNext(0)).toBe(EmitResult.FAIL_ZERO_SUBSCRIBER);
    // No timing assertion (speed belongs to the benchmark); quadratic removal would blow the test timeout.
  });
});
