import type { Subscriber } from 'rxjs';
import { ArrayQueue } from './array-queue.js';
import { nextSafely } from './delivery.js';
import { EmitResult } from './emit-result.js';
import { IllegalStateError } from './errors.js';
import { ManySinkBase } from './many-sink-base.js';

/**
 * `unicast().onBackpressureBuffer(capacity?)` (Reactor's SinkManyUnicast).
 *
 * Everything emitted before the single subscriber arrives is queued (without
 * bound unless `capacity` is given, Reactor's bounded-Queue overload) and
 * handed over on subscribe, followed by a terminal signal already emitted.
 * A second subscriber is refused with an IllegalStateError. Once the
 * subscriber cancels, the queue is discarded and emissions fail with
 * FAIL_CANCELLED. Like the multicast buffer, delivery is a drain loop, so
 * re-entrant emissions are queued in order rather than refused.
 */
export class UnicastBufferSink<T> extends ManySinkBase<T> {
  private readonly queue = new ArrayQueue<T>();
  private actual: Subscriber<T> | null = null;
  private subscribedOnce = false;
  private cancelled = false;
  private draining = false;

  constructor(readonly capacity: number = Infinity) {
    super();
  }

  tryEmitNext(value: T): EmitResult {
    if (this.done) return EmitResult.FAIL_TERMINATED;
    if (this.cancelled) return EmitResult.FAIL_CANCELLED;
    if (this.queue.size >= this.capacity) {
      return this.subscribedOnce ? EmitResult.FAIL_OVERFLOW : EmitResult.FAIL_ZERO_SUBSCRIBER;
    }
    this.queue.push(value);
    this.drain();
    return EmitResult.OK;
  }

  tryEmitComplete(): EmitResult {
    return this.finish(false, undefined);
  }

  tryEmitError(error: unknown): EmitResult {
    return this.finish(true, error);
  }

  override currentSubscriberCount(): number {
    return this.actual === null ? 0 : 1;
  }

  private finish(failed: boolean, error: unknown): EmitResult {
    if (this.done) return EmitResult.FAIL_TERMINATED;
    if (this.cancelled) return EmitResult.FAIL_CANCELLED;
    this.markDone(failed, error);
    this.drain();
    return EmitResult.OK;
  }

  protected attach(subscriber: Subscriber<T>): void {
    if (this.subscribedOnce) {
      subscriber.error(new IllegalStateError('Sinks.many().unicast() sinks only allow a single Subscriber'));
      return;
    }
    this.subscribedOnce = true;
    this.actual = subscriber;
    subscriber.add(() => {
      this.cancel(subscriber);
    });
    this.drain();
  }

  private cancel(subscriber: Subscriber<T>): void {
    // Also runs after we delivered the terminal signal; only a live
    // subscriber leaving is a cancellation.
    if (this.actual !== subscriber) return;
    this.actual = null;
    this.cancelled = true;
    this.queue.clear();
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (;;) {
        const actual = this.actual;
        if (this.cancelled) {
          this.queue.clear();
          return;
        }
        if (actual === null) return;
        if (this.queue.size > 0) {
          nextSafely(actual, this.queue.shift());
          continue;
        }
        if (this.done) {
          this.actual = null;
          this.sendTerminal(actual);
        }
        return;
      }
    } finally {
      this.draining = false;
    }
  }
}
