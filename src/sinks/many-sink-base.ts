import type { EmitFailureHandler } from './emit-failure-handler.js';
import { EmitResult } from './emit-result.js';
import { SinkBase } from './sink-base.js';
import type { ManySink } from './sink-types.js';

/** `emitNext`/`emitComplete` for every Sinks.many() flavour, on top of their `tryEmit*`. */
export abstract class ManySinkBase<T> extends SinkBase<T> implements ManySink<T> {
  abstract tryEmitNext(value: T): EmitResult;
  abstract tryEmitComplete(): EmitResult;

  emitNext(value: T, onFailure: EmitFailureHandler): void {
    const result = this.retry('next', this.tryEmitNext, value, onFailure);
    if (result !== EmitResult.OK) {
      this.giveUpNext(value, result, onFailure, 'Backpressure overflow during Sinks.Many#emitNext');
    }
  }

  emitComplete(onFailure: EmitFailureHandler): void {
    const result = this.retry('complete', this.tryEmitComplete, undefined, onFailure);
    if (result !== EmitResult.OK) this.giveUpTerminal(result);
  }
}
