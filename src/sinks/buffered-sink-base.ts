import { ArrayQueue } from './array-queue.js';
import { EmitResult } from './emit-result.js';
import { ManySinkBase } from './many-sink-base.js';

/**
 * Sinks that own a queue and deliver from it in a drain loop
 * (multicast().onBackpressureBuffer(), unicast().onBackpressureBuffer()).
 *
 * Every value goes through the queue, and only one drain loop runs at a
 * time. A value emitted from inside a subscriber's callback is therefore
 * queued and delivered after the current one, in order, as Reactor's drain
 * loop does; it is not refused with FAIL_NON_SERIALIZED.
 */
export abstract class BufferedSinkBase<T> extends ManySinkBase<T> {
  protected readonly queue = new ArrayQueue<T>();
  /** The consumer side went away (unicast cancel, multicast autoCancel). */
  protected cancelled = false;
  private draining = false;

  constructor(readonly capacity: number) {
    super();
  }

  tryEmitNext(value: T): EmitResult {
    if (this.done) return EmitResult.FAIL_TERMINATED;
    if (this.cancelled) return EmitResult.FAIL_CANCELLED;
    if (this.queue.size >= this.capacity) {
      // Reactor: no capacity and nobody to drain it is FAIL_ZERO_SUBSCRIBER;
      // no capacity while subscribed is an overflow.
      return this.currentSubscriberCount() === 0 ? EmitResult.FAIL_ZERO_SUBSCRIBER : EmitResult.FAIL_OVERFLOW;
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

  private finish(failed: boolean, error: unknown): EmitResult {
    if (this.done) return EmitResult.FAIL_TERMINATED;
    if (this.cancelled) return EmitResult.FAIL_CANCELLED;
    this.markDone(failed, error);
    this.drain();
    return EmitResult.OK;
  }

  protected cancel(): void {
    this.cancelled = true;
    this.queue.clear();
  }

  /** Runs the drain loop unless it is already running further up the stack. */
  protected drain(): void {
    if (this.draining) return; // the running loop will pick up what was queued
    this.draining = true;
    try {
      this.drainLoop();
    } finally {
      this.draining = false;
    }
  }

  /** Delivers queued values and, when due, the terminal signal. */
  protected abstract drainLoop(): void;
}
