/**
 * Outcome of a `tryEmit*` call, mirroring Reactor's `Sinks.EmitResult`.
 * A const object plus a string-literal union so results compare with `===`
 * and print readably.
 */
export const EmitResult = {
  /** The signal was accepted. */
  OK: 'OK',
  /** The sink already completed or failed. */
  FAIL_TERMINATED: 'FAIL_TERMINATED',
  /** The sink has no buffer capacity left while it has subscribers. */
  FAIL_OVERFLOW: 'FAIL_OVERFLOW',
  /** The sink was cancelled by its consumer(s) (unicast cancel, multicast autoCancel). */
  FAIL_CANCELLED: 'FAIL_CANCELLED',
  /** The sink is busy delivering a signal and the call re-entered it. */
  FAIL_NON_SERIALIZED: 'FAIL_NON_SERIALIZED',
  /** Nobody is subscribed and the sink cannot buffer the signal. */
  FAIL_ZERO_SUBSCRIBER: 'FAIL_ZERO_SUBSCRIBER',
} as const;

export type EmitResult = (typeof EmitResult)[keyof typeof EmitResult];

export function isSuccess(result: EmitResult): boolean {
  return result === EmitResult.OK;
}

export function isFailure(result: EmitResult): boolean {
  return result !== EmitResult.OK;
}
