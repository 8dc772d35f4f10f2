import type { HoldNoticeData, HoldNoticeEvent } from '../protocol/notices.js';
import type { HoldNotice } from './seat-store.js';

/** Delivers a notice to every private stream of the user (the app appends it to the user's topic). */
export type NotifyHolder = (userId: string, event: HoldNoticeEvent, data: HoldNoticeData) => Promise<unknown>;

export interface HolderNotice {
  readonly userId: string;
  readonly event: HoldNoticeEvent;
  readonly data: HoldNoticeData;
}

/**
 * The store's per-seat notices as one notice per holder, schedule, kind and expiry: the seats a
 * buyer held together are announced together.
 */
export function groupHoldNotices(notices: readonly HoldNotice[]): HolderNotice[] {
  const groups = new Map<string, { notice: HoldNotice; seatIds: number[] }>();
  for (const notice of notices) {
    const key = JSON.stringify([notice.kind, notice.scheduleId, notice.expiresAt, notice.holder]);
    const group = groups.get(key);
    if (group) group.seatIds.push(notice.seatId);
    else groups.set(key, { notice, seatIds: [notice.seatId] });
  }
  return [...groups.values()].map(({ notice, seatIds }) => ({
    userId: notice.holder,
    event: notice.kind === 'expiring' ? 'hold-expiring' : 'hold-expired',
    data: {
      scheduleId: notice.scheduleId,
      seatIds: seatIds.sort((a, b) => a - b),
      expiresAt: new Date(notice.expiresAt).toISOString(),
    },
  }));
}

/** One `released` notice per former holder of the seats the service released. */
export function releasedNotices(
  scheduleId: number,
  seatIds: readonly number[],
  holders: readonly (string | undefined)[],
): HolderNotice[] {
  const byHolder = new Map<string, number[]>();
  seatIds.forEach((seatId, i) => {
    const holder = holders[i];
    if (holder === undefined) return;
    const seats = byHolder.get(holder) ?? [];
    seats.push(seatId);
    byHolder.set(holder, seats);
  });
  return [...byHolder].map(([userId, seats]) => ({
    userId,
    event: 'released',
    data: { scheduleId, seatIds: seats.sort((a, b) => a - b) },
  }));
}
