import type { Subscriber } from 'rxjs';
import { nextSafely, terminateSafely } from './delivery.js';
import type { EmitFailureHandler } from './emit-failure-handler.js';
import { EmitResult } from './emit-result.js';
import { MulticastEmptySink } from './empty-sink.js';
import type { OneSink } from './sink-types.js';

/**
 * `Sinks.one()` (Reactor's SinkOneMulticast): a promise. Exactly one of
 * value (+ implicit complete), empty, or error is accepted; later attempts
 * get FAIL_TERMINATED. The outcome is replayed to late subscribers.
 * Unlike Reactor, `undefined`/`null` are ordinary values, not "empty".
 */
export class MulticastOneSink<T> extends MulticastEmptySink<T> implements OneSink<T> {
  private hasValue = false;
  private value: T | undefined;

  tryEmitValue(value: T): EmitResult {
    const refused = this.refusal();
    if (refused !== undefined) return refused;
    this.hasValue = true;
    this.value = value;
    return this.terminateNow(false, undefined);
  }

  emitValue(value: T, onFailure: EmitFailureHandler): void {
    const result = this.retry('next', this.tryEmitValue, value, onFailure);
    if (result !== EmitResult.OK) {
      this.giveUpNext(value, result, onFailure, 'Backpressure overflow during Sinks.One#emitValue');
    }
  }

  protected override sendTerminal(subscriber: Subscriber<T>): void {
    if (this.hasValue) {
      nextSafely(subscriber, this.value as T);
      terminateSafely(subscriber, false, undefined);
    } else {
      super.sendTerminal(subscriber);
    }
  }
}
