import type { TeardownLogic } from 'rxjs';
import { Subscriber } from 'rxjs/internal/Subscriber';

/**
 * A Subscriber that keeps its first finalizer in a field of its own.
 *
 * rxjs keeps a subscription's finalizers in an array made on the first `add`, and V8 gives a
 * first `push` room for 16: about 180 bytes for the one finalizer a connection's subscribers
 * usually get (the sink's registration, the stream's own teardown), for as long as each of
 * thousands of idle connections stays open. The first function added is kept here and run after
 * the others on unsubscribe; anything more goes to rxjs as usual.
 */
export abstract class LeanSubscriber<T> extends Subscriber<T> {
  private finalizer: (() => void) | undefined;

  override add(teardown: TeardownLogic): void {
    if (typeof teardown === 'function' && this.finalizer === undefined && !this.closed) this.finalizer = teardown;
    else super.add(teardown);
  }

  override remove(teardown: Exclude<TeardownLogic, void>): void {
    if (teardown === this.finalizer) this.finalizer = undefined;
    else super.remove(teardown);
  }

  override unsubscribe(): void {
    if (this.closed) return;
    const { finalizer } = this;
    this.finalizer = undefined;
    try {
      super.unsubscribe();
    } finally {
      finalizer?.();
    }
  }
}
