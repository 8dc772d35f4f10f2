import { Observable, Subscription } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { LeanSubscriber } from '../../src/hub/lean-subscriber.js';

class Recorder extends LeanSubscriber<number> {
  readonly seen: number[] = [];
  protected override _next(value: number): void {
    this.seen.push(value);
  }
}

describe('LeanSubscriber', () => {
  it('runs every finalizer once on unsubscribe, the first one kept aside last', () => {
    const order: string[] = [];
    const subscriber = new Recorder();
    subscriber.add(() => order.push('first'));
    subscriber.add(() => order.push('second'));
    subscriber.add(new Subscription(() => order.push('child')));
    subscriber.unsubscribe();
    subscriber.unsubscribe();
    expect(order).toEqual(['second', 'child', 'first']);
    expect(subscriber.closed).toBe(true);
  });

  it('runs an observable teardown when the subscriber leaves, and one added after it closed at once', () => {
    const order: string[] = [];
    const subscriber = new Recorder();
    new Observable<number>((s) => {
      s.next(1);
      return () => order.push('teardown');
    }).subscribe(subscriber);
    expect(subscriber.seen).toEqual([1]);
    expect(order).toEqual([]);
    subscriber.complete();
    expect(order).toEqual(['teardown']);
    subscriber.add(() => order.push('late'));
    expect(order).toEqual(['teardown', 'late']);
  });

  it('forgets a removed finalizer, whichever way it was kept', () => {
    const order: string[] = [];
    const subscriber = new Recorder();
    const first = () => order.push('first');
    const second = () => order.push('second');
    subscriber.add(first);
    subscriber.add(second);
    subscriber.remove(first);
    subscriber.remove(second);
    subscriber.add(() => order.push('third'));
    subscriber.unsubscribe();
    expect(order).toEqual(['third']);
  });

  it('still runs its own finalizer when another one throws, then reports the failure', () => {
    const order: string[] = [];
    const subscriber = new Recorder();
    subscriber.add(() => order.push('first'));
    subscriber.add(() => {
      throw new Error('boom');
    });
    expect(() => subscriber.unsubscribe()).toThrow(/boom/);
    expect(order).toEqual(['first']);
  });
});
