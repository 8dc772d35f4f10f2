import type { Subscriber } from 'rxjs';
import { nextSafely } from './delivery.js';
import { EmitResult } from './emit-result.js';
import { IllegalStateError } from './errors.js';
import { ManySinkBase } from './many-sink-base.js';

/**
 * `unicast().onBackpressureError()` (Reactor's SinkManyUnicastNoBackpressure):
 * no buffer at all. Before the single subscriber arrives every emission,
 * terminal ones included, fails with FAIL_ZERO_SUBSCRIBER; afterwards values
 * go straight to it. Reactor errors a subscriber that lacks demand; RxJS
 * subscribers always have demand, so that case cannot arise here.
 */
export class UnicastDirectSink<T> extends ManySinkBase<T> {
  private actual: Subscriber<T> | null = null;
  private subscribedOnce = false;
  private cancelled = false;

  tryEmitNext(value: T): EmitResult {
    const refused = this.refusal();
    if (refused !== undefined) return refused;
    this.busy = true;
    try {
      nextSafely(this.actual as Subscriber<T>, value);
    } finally {
      this.busy = false;
    }
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
    const refused = this.refusal();
    if (refused !== undefined) return refused;
    const actual = this.actual as Subscriber<T>;
    this.markDone(failed, error);
    this.actual = null;
    this.sendTerminal(actual);
    return EmitResult.OK;
  }

  protected override refusal(): EmitResult | undefined {
    if (this.done) return EmitResult.FAIL_TERMINATED;
    if (this.cancelled) return EmitResult.FAIL_CANCELLED;
    if (this.actual === null) return EmitResult.FAIL_ZERO_SUBSCRIBER;
    if (this.busy) return EmitResult.FAIL_NON_SERIALIZED;
    return undefined;
  }

  protected attach(subscriber: Subscriber<T>): void {
    if (this.subscribedOnce) {
      subscriber.error(new IllegalStateError('Unicast Sinks.Many allows only a single Subscriber'));
      return;
    }
    this.subscribedOnce = true;
    this.actual = subscriber;
    subscriber.add(() => {
      if (this.actual !== subscriber) return; // after our own terminal signal
      this.actual = null;
      this.cancelled = true;
    });
  }
}
