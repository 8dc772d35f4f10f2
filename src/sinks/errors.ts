import type { EmitResult } from './emit-result.js';

/**
 * Thrown by `emit*` when the failure handler gives up on a result that
 * Reactor treats as a programming error (FAIL_NON_SERIALIZED), and by
 * `orThrow`. Carries the result so callers can branch on it.
 */
export class EmissionError extends Error {
  override readonly name = 'EmissionError';

  constructor(
    readonly result: EmitResult,
    message = describe(result),
  ) {
    super(message);
  }
}

/** The error a sink terminates with when `emitNext` gives up on FAIL_OVERFLOW. */
export class OverflowError extends Error {
  override readonly name = 'OverflowError';
}

/** A sink was used in a way its kind does not allow (e.g. a second unicast subscriber). */
export class IllegalStateError extends Error {
  override readonly name = 'IllegalStateError';
}

function describe(result: EmitResult): string {
  if (result === 'FAIL_NON_SERIALIZED') {
    return (
      'Sink emission failed with FAIL_NON_SERIALIZED: signals must reach subscribers serially ' +
      '(Reactive Streams rule 1.3); the sink was re-entered while it was delivering a signal'
    );
  }
  return `Sink emission failed with ${result}`;
}

/** Throws an EmissionError unless the result is OK (Reactor's `EmitResult#orThrow`). */
export function orThrow(result: EmitResult): void {
  if (result !== 'OK') throw new EmissionError(result);
}
