import type { Subscriber } from 'rxjs';
import { Observable } from 'rxjs/internal/Observable';
import { terminateSafely } from './delivery.js';
import type { EmitFailureHandler, EmitSignal } from './emit-failure-handler.js';
import { EmitResult } from './emit-result.js';
import { EmissionError, OverflowError } from './errors.js';
import { SinkHooks } from './hooks.js';
import { SubscriberSet } from './subscriber-set.js';

/**
 * What every sink shares: the Observable view, the subscriber set, the
 * terminal state, the serialization guard and the `emit*` retry loop with
 * Reactor's give-up rules.
 */
export abstract class SinkBase<T> {
  protected readonly subscribers = new SubscriberSet<T>();
  /**
   * True while the sink calls into subscribers. JavaScript has one thread, so
   * the only way to emit "concurrently" is re-entrantly from a subscriber's
   * callback; sinks that deliver in place reject that with
   * FAIL_NON_SERIALIZED instead of interleaving signals.
   */
  protected busy = false;
  /** No further signal is accepted (complete or error was emitted). */
  protected done = false;
  protected failed = false;
  protected failure: unknown = undefined;
  private view: Observable<T> | undefined;

  asObservable(): Observable<T> {
    return (this.view ??= new Observable<T>((subscriber) => {
      this.attach(subscriber);
    }));
  }

  currentSubscriberCount(): number {
    return this.subscribers.size;
  }

  abstract tryEmitError(error: unknown): EmitResult;

  emitError(error: unknown, onFailure: EmitFailureHandler): void {
    const result = this.retry('error', this.tryEmitError, error, onFailure);
    if (result === EmitResult.FAIL_TERMINATED) SinkHooks.onErrorDropped(error);
    else if (result !== EmitResult.OK) this.giveUpTerminal(result);
  }

  /** Connects a subscriber coming through `asObservable()`. */
  protected abstract attach(subscriber: Subscriber<T>): void;

  /** Calls `attempt` until it succeeds or the failure handler declines to retry. */
  protected retry<A>(
    signal: EmitSignal,
    attempt: (this: this, arg: A) => EmitResult,
    arg: A,
    onFailure: EmitFailureHandler,
  ): EmitResult {
    for (;;) {
      const result = attempt.call(this, arg);
      if (result === EmitResult.OK || !onFailure(signal, result)) return result;
    }
  }

  /** Reactor's InternalManySink.emitNext once the handler gave up on `result`. */
  protected giveUpNext(value: T, result: EmitResult, onFailure: EmitFailureHandler, overflowMessage: string): void {
    switch (result) {
      case EmitResult.FAIL_NON_SERIALIZED:
        throw new EmissionError(result);
      case EmitResult.FAIL_OVERFLOW:
        // The value cannot be delivered in order any more: fail the sink.
        this.emitError(new OverflowError(overflowMessage), onFailure);
        return;
      case EmitResult.FAIL_TERMINATED:
        SinkHooks.onNextDropped(value);
        return;
      default:
        // FAIL_ZERO_SUBSCRIBER: dropped, the sink stays usable.
        // FAIL_CANCELLED: discarded, nobody will ever read it.
        return;
    }
  }

  /** Reactor's emitComplete/emitError once the handler gave up: only FAIL_NON_SERIALIZED throws. */
  protected giveUpTerminal(result: EmitResult): void {
    if (result === EmitResult.FAIL_NON_SERIALIZED) throw new EmissionError(result);
  }

  /** Why an emission cannot start now, or undefined if it can. */
  protected refusal(): EmitResult | undefined {
    if (this.done) return EmitResult.FAIL_TERMINATED;
    if (this.busy) return EmitResult.FAIL_NON_SERIALIZED;
    return undefined;
  }

  protected markDone(failed: boolean, error: unknown): void {
    this.done = true;
    this.failed = failed;
    this.failure = failed ? error : undefined;
  }

  /** Terminal emission for sinks that deliver in place (direct, replay, one, empty). */
  protected terminateNow(failed: boolean, error: unknown): EmitResult {
    const refused = this.refusal();
    if (refused !== undefined) return refused;
    this.markDone(failed, error);
    const subscribers = this.subscribers.takeAll();
    for (let i = 0; i < subscribers.length; i++) this.sendTerminal(subscribers[i] as Subscriber<T>);
    return EmitResult.OK;
  }

  /** What a subscriber receives once the sink is terminated (Sinks.one adds its value). */
  protected sendTerminal(subscriber: Subscriber<T>): void {
    terminateSafely(subscriber, this.failed, this.failure);
  }

  /**
   * Adds a live subscriber. Removal is tied to its RxJS subscription, so an
   * unsubscribe made while the sink is still delivering to it (e.g. `take(1)`
   * during a warm-up drain) takes effect at once.
   */
  protected register(subscriber: Subscriber<T>): void {
    // Already unsubscribed (Reactor: cancelled in onSubscribe): never counted, so its
    // departure cannot auto-cancel a multicast buffer.
    if (subscriber.closed) return;
    this.subscribers.add(subscriber);
    subscriber.add(() => {
      this.subscriberLeft(subscriber);
    });
  }

  /** Runs on unsubscribe and after the subscriber received a terminal signal. */
  protected subscriberLeft(subscriber: Subscriber<T>): void {
    this.subscribers.delete(subscriber);
  }
}
