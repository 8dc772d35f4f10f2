import { formatEventId } from '../protocol/event-id.js';
import { groupHoldNotices, type HolderNotice, type NotifyHolder, releasedNotices } from './hold-notices.js';
import type { Layout, ScheduleState, SeatState, SeatStatus } from './seat.js';
import type { ImportResult, MutationResult, ScheduleSummary, SeatStore } from './seat-store.js';

export interface SeatHoldOptions {
  holdTtlMs: number;
  /** 0 = no limit. */
  maxHoldPerUser: number;
  /** How often due holds are swept; a mutation also expires its schedule's due holds itself. */
  sweepMs: number;
  /**
   * After a user's hold ends (the user released it, or it expired), that user may not hold that
   * seat again for this long; 0 (the default) = off. A service release starts none.
   */
  cooldownMs?: number;
  clock?: () => number;
  /**
   * Told about the first sweep that failed (say, Redis unreachable) of a run of failures; the
   * next sweeps try again, and `onSweepRecovered` tells of the first one that works again.
   */
  onSweepError?: (error: unknown) => void;
  onSweepRecovered?: () => void;
  /**
   * Tells holders about their holds (hold-expiring, hold-expired, reserved, released); without
   * it nothing is told. A notice that cannot be delivered is lost, never the seat change.
   */
  notify?: NotifyHolder;
  /** A holder is warned this long before the hold expires (by the sweep); 0 (the default) = never. */
  warnBeforeMs?: number;
  /** Told about a notice that could not be delivered. */
  onNoticeError?: (error: unknown) => void;
}

/** What a hold knows of the caller beyond its user id. */
export interface HoldContext {
  /** Epoch ms the hold may not outlive: the expiry of the credential that makes it. */
  readonly notAfter?: number;
  /** The client's address, counted against `maxPerAddress`. */
  readonly address?: string;
  /** Most seats one address may hold per schedule across its users; 0/undefined = no limit. */
  readonly maxPerAddress?: number;
}

export interface SeatChange {
  readonly scheduleId: number;
  readonly status: SeatStatus;
  readonly seats: readonly SeatState[];
  /** The hold's expiry (epoch ms), for hold results. */
  readonly expiresAt?: number;
  /** `offset@epoch` of the last event written, or the current head when none was. */
  readonly eventId: string;
  readonly events: number;
}

/**
 * The seat domain as the outside sees it: the buyer holds and releases; the
 * service reserves orders and releases any seat; holds expire over time.
 */
export class SeatHoldService {
  private readonly clock: () => number;
  private readonly cooldownMs: number;
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping = false;
  /** The last sweep failed: an outage is told once, not every HOLD_SWEEP_MS. */
  private sweepFailing = false;

  constructor(
    readonly store: SeatStore,
    private readonly options: SeatHoldOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.cooldownMs = options.cooldownMs ?? 0;
  }

  createSchedule(scheduleId: number, layout: Layout): Promise<'created' | 'unchanged'> {
    return this.store.createSchedule(scheduleId, layout);
  }

  /**
   * The service creates a schedule, or restores it from its records: the named seats become
   * RESERVED, a seat a buyer holds included (the operator's records are the truth).
   */
  importSchedule(scheduleId: number, layout: Layout, reserved: readonly number[]): Promise<ImportResult> {
    return this.store.importSchedule({ scheduleId, layout, reserved, now: this.clock(), cooldownMs: this.cooldownMs });
  }

  listSchedules(): Promise<ScheduleSummary[]> {
    return this.store.listSchedules();
  }

  /** Deletes the schedule; every stream that follows it, on every instance, ends. */
  deleteSchedule(scheduleId: number): Promise<void> {
    return this.store.deleteSchedule(scheduleId);
  }

  state(scheduleId: number): Promise<ScheduleState> {
    return this.store.state(scheduleId);
  }

  async hold(
    scheduleId: number,
    userId: string,
    seatIds: readonly number[],
    context: HoldContext = {},
  ): Promise<SeatChange> {
    const result = await this.store.hold({
      scheduleId,
      userId,
      seatIds,
      now: this.clock(),
      cooldownMs: this.cooldownMs,
      ttlMs: this.options.holdTtlMs,
      maxPerUser: this.options.maxHoldPerUser,
      notAfter: context.notAfter,
      address: context.address,
      maxPerAddress: context.maxPerAddress,
    });
    let expiresAt = Infinity;
    for (const seat of result.seats) expiresAt = Math.min(expiresAt, seat.expiresAt ?? Infinity);
    return change(scheduleId, 'HELD', result, expiresAt);
  }

  /** The buyer releases seats it holds; it may not hold them again for the cool-down. */
  async release(scheduleId: number, userId: string, seatIds: readonly number[]): Promise<SeatChange> {
    return change(
      scheduleId,
      'AVAILABLE',
      await this.store.release({ scheduleId, userId, seatIds, now: this.clock(), cooldownMs: this.cooldownMs }),
    );
  }

  /** The service reserves seats `userId` holds, for an order; idempotent per order id. */
  async reserveOrder(
    scheduleId: number,
    userId: string,
    seatIds: readonly number[],
    orderId: string,
  ): Promise<SeatChange> {
    const command = { scheduleId, userId, seatIds, orderId, now: this.clock(), cooldownMs: this.cooldownMs };
    const result = await this.store.reserveOrder(command);
    // A retried order wrote nothing, and was told already.
    if (result.events > 0) {
      const sorted = [...seatIds].sort((a, b) => a - b);
      await this.tell([{ userId, event: 'reserved', data: { scheduleId, seatIds: sorted, orderId } }]);
    }
    return change(scheduleId, 'RESERVED', result);
  }

  /** The service frees held or reserved seats of anyone (a cancelled payment, a refund); no cool-down. */
  async releaseAny(scheduleId: number, seatIds: readonly number[]): Promise<SeatChange> {
    const command = { scheduleId, seatIds, now: this.clock(), cooldownMs: this.cooldownMs };
    const result = await this.store.releaseAny(command);
    await this.tell(releasedNotices(scheduleId, seatIds, result.holders));
    return change(scheduleId, 'AVAILABLE', result);
  }

  /**
   * Expires due holds now, then tells holders of the holds that expired (here or in any mutation,
   * on any instance) and warns those about to expire; the sweeper calls it, tests may too.
   * Returns how many seats it freed.
   */
  async expireDue(): Promise<number> {
    const freed = await this.store.expireDue(this.clock(), this.cooldownMs);
    const notices = await this.store.takeHoldNotices(this.clock(), this.options.warnBeforeMs ?? 0);
    await this.tell(groupHoldNotices(notices));
    return freed;
  }

  /** Delivers notices; one that fails is reported and dropped: the seats changed already. */
  private async tell(notices: readonly HolderNotice[]): Promise<void> {
    const { notify } = this.options;
    if (!notify) return;
    await Promise.all(
      notices.map(({ userId, event, data }) =>
        notify(userId, event, data).catch((error: unknown) => this.options.onNoticeError?.(error)),
      ),
    );
  }

  start(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => void this.sweep(), this.options.sweepMs);
    this.sweeper.unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) return; // a slow sweep (store unreachable) never piles up
    this.sweeping = true;
    try {
      await this.expireDue();
      if (this.sweepFailing) this.options.onSweepRecovered?.();
      this.sweepFailing = false;
    } catch (error) {
      if (!this.sweepFailing) this.options.onSweepError?.(error);
      this.sweepFailing = true;
    } finally {
      this.sweeping = false;
    }
  }
}

/** What a mutation did; a hold's with its expiry (one literal: spreading it into another cost µs a request). */
function change(scheduleId: number, status: SeatStatus, result: MutationResult, expiresAt?: number): SeatChange {
  return {
    scheduleId,
    status,
    seats: result.seats,
    expiresAt,
    eventId: formatEventId(result.eventId),
    events: result.events,
  };
}
