import type { Subscriber } from 'rxjs';
import { deliverNext } from './delivery.js';
import { EmitResult } from './emit-result.js';
import { ManySinkBase } from './many-sink-base.js';

/**
 * `multicast().directBestEffort()` and `multicast().directAllOrNothing()`:
 * no buffer, no replay; each value goes straight to the current
 * subscribers, and fails with FAIL_ZERO_SUBSCRIBER when there are none.
 *
 * In Reactor the two differ only for subscribers without outstanding
 * demand (best effort skips them, all-or-nothing drops the value for
 * everyone). RxJS subscribers always accept, so both deliver to all; the
 * flag is kept for intent and introspection. This is the hot path of
 * topic fan-out: one array walk, no allocation per emission.
 */
export class DirectMulticastSink<T> extends ManySinkBase<T> {
  constructor(readonly allOrNothing: boolean) {
    super();
  }

  tryEmitNext(value: T): EmitResult {
    if (this.done) return EmitResult.FAIL_TERMINATED;
    if (this.busy) return EmitResult.FAIL_NON_SERIALIZED;
    const subscribers = this.subscribers.snapshot();
    if (subscribers.length === 0) return EmitResult.FAIL_ZERO_SUBSCRIBER;
    this.busy = true;
    try {
      deliverNext(subscribers, value);
    } finally {
      this.busy = false;
    }
    return EmitResult.OK;
  }

  // Terminal signals need no subscriber: late subscribers get them replayed.
  tryEmitComplete(): EmitResult {
    return this.terminateNow(false, undefined);
  }

  tryEmitError(error: unknown): EmitResult {
    return this.terminateNow(true, error);
  }

  protected attach(subscriber: Subscriber<T>): void {
    if (this.done) this.sendTerminal(subscriber);
    else this.register(subscriber);
  }
}
