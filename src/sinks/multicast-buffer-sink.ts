import type { Subscriber } from 'rxjs';
import { BufferedSinkBase } from './buffered-sink-base.js';
import { deliverNext } from './delivery.js';

/**
 * `multicast().onBackpressureBuffer(bufferSize, autoCancel)` (Reactor's
 * SinkManyEmitterProcessor).
 *
 * - Warm-up: with no subscriber, up to `bufferSize` values are kept; when
 *   full, tryEmitNext fails with FAIL_ZERO_SUBSCRIBER (Reactor's result for
 *   "never subscribed and no capacity"). The first subscriber drains them;
 *   later subscribers only see what is emitted after they joined.
 * - With subscribers the queue only fills through re-entrant emissions
 *   (see BufferedSinkBase); beyond `bufferSize` → FAIL_OVERFLOW.
 * - autoCancel (default): when the last subscriber leaves, the buffer is
 *   cleared, emissions fail with FAIL_CANCELLED and new subscribers are
 *   completed at once ("stops accepting new subscribers"). We return
 *   FAIL_CANCELLED as reactor-core#3715 asks; Reactor itself keeps answering OK
 *   until its dead buffer fills. Without autoCancel the sink warms up again.
 * - An error is delivered ahead of still-buffered values; complete after them.
 */
export class MulticastBufferSink<T> extends BufferedSinkBase<T> {
  /** The terminal signal was delivered: nobody can join any more. */
  private closed = false;

  constructor(
    bufferSize: number,
    readonly autoCancel: boolean,
  ) {
    super(bufferSize);
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
    if (this.autoCancel && this.subscribers.size === 0 && !this.closed) this.cancel();
  }

  protected drainLoop(): void {
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
  }
}
