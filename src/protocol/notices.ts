/**
 * The notices of a private (per-user) stream, as named SSE events: what seatstream tells a holder
 * about its holds. The service's own notices are `message` events, or any name it picks.
 */
export const HOLD_NOTICE_EVENTS = ['hold-expiring', 'hold-expired', 'reserved', 'released'] as const;

/**
 * - `hold-expiring`: the hold expires soon (`HOLD_WARNING_MS` ahead);
 * - `hold-expired`: it expired, the seats are free again;
 * - `reserved`: the service reserved the holder's seats for an order;
 * - `released`: the service released the holder's seats (a cancelled payment, a refund).
 */
export type HoldNoticeEvent = (typeof HOLD_NOTICE_EVENTS)[number];

/** The data of a hold notice. */
export interface HoldNoticeData {
  readonly scheduleId: number;
  /** Ascending. */
  readonly seatIds: readonly number[];
  /** `hold-expiring` and `hold-expired`: when the hold expires (expired), ISO time. */
  readonly expiresAt?: string;
  /** `reserved`: the order the seats were reserved for. */
  readonly orderId?: string;
}

/** The cursor label of the caller's private stream when it rides on a multi-schedule connection. */
export const NOTICES_CURSOR_LABEL = 'u';
