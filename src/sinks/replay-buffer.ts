import type { Subscriber } from 'rxjs';
import { ArrayQueue } from './array-queue.js';
import { nextSafely } from './delivery.js';

/**
 * The history of a replay sink, bounded by count (`limit`, Infinity for
 * `all()`) and/or age (`maxAgeMs`, Infinity when not time-bound).
 * Timestamps are only taken and stored when an age bound exists.
 */
export class ReplayBuffer<T> {
  private readonly values = new ArrayQueue<T>();
  private readonly times: ArrayQueue<number> | null;

  constructor(
    readonly limit: number,
    readonly maxAgeMs: number,
    private readonly clock: () => number,
  ) {
    this.times = Number.isFinite(maxAgeMs) ? new ArrayQueue<number>() : null;
  }

  get size(): number {
    return this.values.size;
  }

  add(value: T): void {
    this.values.push(value);
    const times = this.times;
    if (times === null) {
      if (this.values.size > this.limit) this.values.shift();
      return;
    }
    const now = this.clock();
    times.push(now);
    if (this.values.size > this.limit) this.dropOldest();
    // Prune by age so memory stays bounded, never removing the value just
    // added (as Reactor does, even with maxAge 0); replayTo filters by age.
    const cutoff = now - this.maxAgeMs;
    while (this.values.size > 1 && times.at(0) <= cutoff) this.dropOldest();
  }

  /** Sends the retained, unexpired values to one subscriber, stopping if it unsubscribes. */
  replayTo(subscriber: Subscriber<T>): void {
    const times = this.times;
    const cutoff = times === null ? -Infinity : this.clock() - this.maxAgeMs;
    for (let i = 0; i < this.values.size; i++) {
      if (subscriber.closed) return;
      if (times !== null && times.at(i) <= cutoff) continue;
      nextSafely(subscriber, this.values.at(i));
    }
  }

  private dropOldest(): void {
    this.values.shift();
    this.times?.shift();
  }
}
