import type { Subscriber } from 'rxjs';
import { ArrayQueue } from './array-queue.js';
import { deliverNext } from './delivery.js';
import { EmitResult } from './emit-result.js';
import { ManySinkBase } from './many-sink-base.js';

/**
 * `multicast().onBackpressureBuffer(bufferSize, autoCancel)` (Reactor's
 * SinkManyEmitterProcessor).
 *
 * - Warm-up: with no subscriber, up to `bufferSize` values are kept; when
 *   full, tryEmitNext fails with FAIL_ZERO_SUBSCRIBER (Reactor's result for
 *   "never subscribed and no capacity"). The first subscriber drains them;
 *   later subscribers only see what is emitted after they joined.
 * - Delivery runs through the queue in a drain loop, so a value emitted from
 *   inside a subscriber's callback is queued and delivered after the current
 *   one, in order (as Reactor's drain loop does). More than `bufferSize` such
 *   re-entrant values while subscribers exist → FAIL_OVERFLOW.
 * - autoCancel (default): when the last subscriber leaves, the buffer is
 *   cleared, emissions fail with FAIL_CANCELLED and new subscribers are
 *   completed at once ("stops accepting new subscribers"). We return
 *   FAIL_CANCELLED as reactor-core#3715 asks; Reactor itself keeps answering OK
 *   until its dead buffer fills. Without autoCancel the sink warms up again.
 * - An error is delivered ahead of still-buffered values; complete after them.
 */
export class MulticastBufferSink<T> extends ManySinkBase<T> {
  private readonly queue = new ArrayQueue<T>();
  private draining = false;
  /** The last subscriber left with autoCancel on. */
  private cancelled = false;
  /** The terminal signal was delivered: nobody can join any more. */
  private closed = false;

  constructor(
    readonly bufferSize: number,
    readonly autoCancel: boolean,
  ) {
    super();
  }

  tryEmitNext(value: T): EmitResult {
    if (this.done) return EmitResult.FAIL_TERMINATED;
    if (this.cancelled) return EmitResult.FAIL_CANCELLED;
    if (this.queue.size >= this.bufferSize) {
      return this.subscribers.size === 0 ? EmitResult.FAIL_ZERO_SUBSCRIBER : EmitResult.FAIL_OVERFLOW;
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

  protected attach(subscriber: Subscriber<T>): void {
    if (this.closed || this.cancelled) {
      this.sendTerminal(subscriber);
      return;
    }
    this.register(subscriber);
    this.drain();
  }

  protected override subscriberLeft(subscriber: Subscriber<T>): void {
    if (!this.subscribers.delete(subscriber)) return;
    if (this.autoCancel && this.subscribers.size === 0 && !this.closed) {
      this.cancelled = true;
      this.queue.clear();
    }
  }

  /** Single delivery loop; a re-entrant call leaves its work to the running loop. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (;;) {
        if (this.cancelled || this.closed) {
          this.queue.clear();
          return;
        }
        if (this.done && (this.failed || this.queue.size === 0)) {
          this.queue.clear();
          this.closed = true;
          const subscribers = this.subscribers.takeAll();
          for (let i = 0; i < subscribers.length; i++) this.sendTerminal(subscribers[i] as Subscriber<T>);
          return;
        }
        const subscribers = this.subscribers.snapshot();
        if (subscribers.length === 0 || this.queue.size === 0) return;
        deliverNext(subscribers, this.queue.shift());
      }
    } finally {
      this.draining = false;
    }
  }
}
