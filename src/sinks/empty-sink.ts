import type { Subscriber } from 'rxjs';
import type { EmitFailureHandler } from './emit-failure-handler.js';
import { EmitResult } from './emit-result.js';
import { SinkBase } from './sink-base.js';
import type { EmptySink } from './sink-types.js';

/**
 * `Sinks.empty()` (Reactor's SinkEmptyMulticast): one terminal signal,
 * complete or error, delivered to current subscribers and replayed to late
 * ones. Needs no subscriber to be emitted.
 */
export class MulticastEmptySink<T = never> extends SinkBase<T> implements EmptySink<T> {
  tryEmitEmpty(): EmitResult {
    return this.terminateNow(false, undefined);
  }

  tryEmitError(error: unknown): EmitResult {
    return this.terminateNow(true, error);
  }

  emitEmpty(onFailure: EmitFailureHandler): void {
    const result = this.retry('complete', this.tryEmitEmpty, undefined, onFailure);
    if (result !== EmitResult.OK) this.giveUpTerminal(result);
  }

  protected attach(subscriber: Subscriber<T>): void {
    if (this.done) this.sendTerminal(subscriber);
    else this.register(subscriber);
  }
}
