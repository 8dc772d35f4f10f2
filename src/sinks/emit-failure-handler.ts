import { EmitResult } from './emit-result.js';

/** Which kind of signal an `emit*` call was trying to send (Reactor's SignalType). */
export type EmitSignal = 'next' | 'complete' | 'error';

/**
 * Decides, after a failed `tryEmit*`, whether `emit*` should try again
 * (`true`) or give up (`false`) and apply the sink's failure rule.
 * It may have side effects (count attempts, subscribe someone, ...).
 */
export type EmitFailureHandler = (signal: EmitSignal, result: EmitResult) => boolean;

const monotonicNow = (): number => performance.now();

export const EmitFailureHandler = {
  /** Never retry: apply the failure rule at once. */
  FAIL_FAST: ((): boolean => false) as EmitFailureHandler,

  /**
   * Retry FAIL_NON_SERIALIZED until `durationMs` after this call (the
   * deadline is fixed now, as in Reactor: create one handler per emission).
   * JavaScript runs one call stack, so the delivery that caused the failure
   * cannot finish while we spin: this only bounds the wait, then `emit*`
   * throws EmissionError. It exists for API parity with Reactor.
   */
  busyLooping(durationMs: number, clock: () => number = monotonicNow): EmitFailureHandler {
    const deadline = clock() + durationMs;
    return (_signal, result) => result === EmitResult.FAIL_NON_SERIALIZED && clock() < deadline;
  },
} as const;
