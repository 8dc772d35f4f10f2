import { ERRORS, type ErrorCode } from '../protocol/errors.js';

/** Why a seat operation was refused: the codes of the protocol's list that a seat store throws. */
export type SeatErrorCode = Extract<
  ErrorCode,
  | 'SCHEDULE_NOT_FOUND'
  | 'SEAT_NOT_FOUND'
  | 'SEATS_UNAVAILABLE'
  | 'NOT_YOUR_HOLD'
  | 'NOT_HELD'
  | 'HOLD_LIMIT'
  | 'ADDRESS_HOLD_LIMIT'
  | 'HOLD_COOLDOWN'
  | 'ORDER_CONFLICT'
  | 'LAYOUT_CONFLICT'
>;

export interface SeatErrorOptions {
  /** HOLD_COOLDOWN: ms until the earliest of the named seats may be held again. */
  readonly retryAfterMs?: number;
}

export class SeatError extends Error {
  override name = 'SeatError';
  /** HOLD_COOLDOWN: ms until the earliest of the named seats may be held again. */
  readonly retryAfterMs?: number;

  constructor(
    readonly code: SeatErrorCode,
    /** The seats the refusal is about, when it is about seats. */
    readonly seatIds: readonly number[] = [],
    message: string = ERRORS[code].message,
    options: SeatErrorOptions = {},
  ) {
    super(seatIds.length > 0 ? `${message}: ${seatIds.join(', ')}` : message);
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}
