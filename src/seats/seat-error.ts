/** Why a seat operation was refused; the HTTP layer maps each code to a status. */
export type SeatErrorCode =
  | 'SCHEDULE_NOT_FOUND'
  | 'SEAT_NOT_FOUND'
  | 'SEATS_UNAVAILABLE'
  | 'NOT_YOUR_HOLD'
  | 'NOT_HELD'
  | 'HOLD_LIMIT'
  | 'LAYOUT_CONFLICT';

const MESSAGES: Record<SeatErrorCode, string> = {
  SCHEDULE_NOT_FOUND: 'No such schedule',
  SEAT_NOT_FOUND: 'No such seat in this schedule',
  SEATS_UNAVAILABLE: 'Some seats are not available',
  NOT_YOUR_HOLD: 'Some seats are held by someone else',
  NOT_HELD: 'Some seats are not held by you',
  HOLD_LIMIT: 'Holding these seats would exceed the limit of seats per user',
  LAYOUT_CONFLICT: 'The schedule exists with another layout',
};

export class SeatError extends Error {
  override name = 'SeatError';

  constructor(
    readonly code: SeatErrorCode,
    /** The seats the refusal is about, when it is about seats. */
    readonly seatIds: readonly number[] = [],
    message = MESSAGES[code],
  ) {
    super(seatIds.length > 0 ? `${message}: ${seatIds.join(', ')}` : message);
  }
}
