import type { Subscriber } from 'rxjs';
import { BufferedSinkBase } from './buffered-sink-base.js';
import { nextSafely } from './delivery.js';
import { IllegalStateError } from './errors.js';

/**
 * `unicast().onBackpressureBuffer(capacity?)` (Reactor's SinkManyUnicast).
 *
 * Everything emitted before the single subscriber arrives is queued (without
 * bound unless `capacity` is given, Reactor's bounded-Queue overload) and
 * handed over on subscribe, followed by a terminal signal already emitted
 * (values first, even before an error). A second subscriber is refused with
 * an IllegalStateError. Once the subscriber cancels, the queue is discarded
 * and emissions fail with FAIL_CANCELLED.
 */
export class UnicastBufferSink<T> extends BufferedSinkBase<T> {
  private actual: Subscriber<T> | null = null;
  private subscribedOnce = false;

  override currentSubscriberCount(): number {
    return this.actual === null ? 0 : 1;
  }

  protected attach(subscriber: Subscriber<T>): void {
    if (this.subscribedOnce) {
      subscriber.error(new IllegalStateError('Sinks.many().unicast() sinks only allow a single Subscriber'));
      return;
    }
    this.subscribedOnce = true;
    this.actual = subscriber;
    subscriber.add(() => {
      // Also runs after we delivered the terminal signal (actual is null
      // then); only a live subscriber leaving is a cancellation.
      if (this.actual !== subscriber) return;
      this.actual = null;
      this.cancel();
    });
    this.drain();
  }

  protected drainLoop(): void {
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
  }
}
