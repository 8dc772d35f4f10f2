import { formatEventId } from '../protocol/event-id.js';
import type { Layout, ScheduleState, SeatState, SeatStatus } from './seat.js';
import type { MutationResult, SeatStore } from './seat-store.js';

export interface SeatHoldOptions {
  holdTtlMs: number;
  /** 0 = no limit. */
  maxHoldPerUser: number;
  /** How often due holds are swept; a mutation also expires its schedule's due holds itself. */
  sweepMs: number;
  clock?: () => number;
  /** Told about a sweep that failed (say, Redis unreachable); the next sweep tries again. */
  onSweepError?: (error: unknown) => void;
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

/** The seat domain as the outside sees it: hold, release, reserve, and expiry over time. */
export class SeatHoldService {
  private readonly clock: () => number;
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(
    readonly store: SeatStore,
    private readonly options: SeatHoldOptions,
  ) {
    this.clock = options.clock ?? Date.now;
  }

  createSchedule(scheduleId: number, layout: Layout): Promise<'created' | 'unchanged'> {
    return this.store.createSchedule(scheduleId, layout);
  }

  state(scheduleId: number): Promise<ScheduleState> {
    return this.store.state(scheduleId);
  }

  async hold(scheduleId: number, userId: string, seatIds: readonly number[]): Promise<SeatChange> {
    const result = await this.store.hold({
      scheduleId,
      userId,
      seatIds,
      now: this.clock(),
      ttlMs: this.options.holdTtlMs,
      maxPerUser: this.options.maxHoldPerUser,
    });
    const expiresAt = Math.min(...result.seats.map((s) => s.expiresAt ?? Infinity));
    return { ...change(scheduleId, 'HELD', result), expiresAt };
  }

  async release(scheduleId: number, userId: string, seatIds: readonly number[]): Promise<SeatChange> {
    return change(
      scheduleId,
      'AVAILABLE',
      await this.store.release({ scheduleId, userId, seatIds, now: this.clock() }),
    );
  }

  async reserve(scheduleId: number, userId: string, seatIds: readonly number[]): Promise<SeatChange> {
    return change(scheduleId, 'RESERVED', await this.store.reserve({ scheduleId, userId, seatIds, now: this.clock() }));
  }

  /** Expires due holds now; the sweeper calls it, tests may too. */
  expireDue(): Promise<number> {
    return this.store.expireDue(this.clock());
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
    } catch (error) {
      this.options.onSweepError?.(error);
    } finally {
      this.sweeping = false;
    }
  }
}

function change(scheduleId: number, status: SeatStatus, result: MutationResult): SeatChange {
  return {
    scheduleId,
    status,
    seats: result.seats,
    eventId: formatEventId(result.eventId),
    events: result.events,
  };
}
