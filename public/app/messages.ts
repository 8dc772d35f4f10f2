import { ApiError, type HoldNoticeData, type NoticeEvent, type SeatOperation } from '../../src/client/index.js';

/**
 * What the page says when a hold / release / checkout fails. The server's messages are written
 * for developers; the refusals a buyer meets in normal use get a sentence of their own.
 */
export function errorMessage(error: unknown, operation: SeatOperation, names: (ids: number[]) => string): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  const seats = error.seatIds.length > 0 ? names(error.seatIds) : undefined;
  const wait = error.retryAfter === undefined ? 'a little later' : `in ${Math.max(1, error.retryAfter)} s`;
  switch (error.code) {
    case 'HOLD_COOLDOWN':
      // Releasing and re-holding a seat at once is how a hold would be extended for ever.
      return `You released ${seats ?? 'this seat'} a moment ago — try again ${wait}.`;
    case 'RATE_LIMITED':
      return `Too many requests from you — slow down and try again ${wait}.`;
    case 'ADDRESS_HOLD_LIMIT':
      return 'Your network already holds as many seats as it may here — release or check out some first.';
    case 'HOLD_LIMIT':
      return 'You hold as many seats as you may — release or check out some first.';
    case 'SEATS_UNAVAILABLE':
      return `${seats ?? 'These seats'} just went to someone else.`;
    case 'NOT_HELD':
      return operation === 'checkout'
        ? `${seats ?? 'Some seats'} are no longer held by you (the hold expired?) — nothing was reserved.`
        : `${seats ?? 'Some seats'} are not held by you.`;
    default:
      return seats ? `${error.message} (${seats})` : error.message;
  }
}

/** What the page says for a notice of my private stream; undefined: nothing to say. */
export function noticeText(notice: NoticeEvent, names: (ids: number[]) => string): string | undefined {
  if (notice.event === 'message') return typeof notice.data === 'string' ? notice.data : JSON.stringify(notice.data);
  const data = notice.data as HoldNoticeData;
  if (!Array.isArray(data?.seatIds)) return undefined;
  const seats = names([...data.seatIds]);
  switch (notice.event) {
    case 'hold-expiring':
      return `Your hold on ${seats} expires soon — reserve now.`;
    case 'hold-expired':
      return `Your hold on ${seats} expired; the seats are free again.`;
    case 'reserved':
      return `Reserved ${seats}${data.orderId ? ` (order ${data.orderId})` : ''}.`;
    case 'released':
      return `The box office released ${seats}.`;
    default:
      return undefined;
  }
}
