import type { EventId } from '../../protocol/event-id.js';
import { encodeSeatEvent } from '../../protocol/seat-events.js';
import {
  type Layout,
  type ScheduleState,
  type SeatState,
  type SeatStatus,
  seatCount,
  seatPosition,
} from '../../seats/seat.js';
import { SeatError } from '../../seats/seat-error.js';
import { scheduleTopic } from '../../seats/seat-events.js';
import type { HoldCommand, MutationResult, SeatCommand, SeatStore } from '../../seats/seat-store.js';
import type { LocalBus } from './local-bus.js';

interface MutableSeat {
  readonly id: number;
  readonly row: string;
  readonly number: number;
  status: SeatStatus;
  holder?: string;
  expiresAt?: number;
}

interface Schedule {
  readonly id: number;
  readonly layout: Layout;
  readonly seats: MutableSeat[];
  /** Seats currently HELD, so expiry never scans the whole venue. */
  readonly held: Set<MutableSeat>;
}

type Change = readonly [MutableSeat, SeatStatus];

/**
 * The embedded seat store. Atomicity comes from JavaScript itself: every mutation checks,
 * changes state and appends its events (LocalBus.appendNow) in one synchronous run, so no other
 * request can interleave.
 */
export class MemorySeatStore implements SeatStore {
  private readonly schedules = new Map<number, Schedule>();

  constructor(private readonly bus: LocalBus) {}

  async createSchedule(scheduleId: number, layout: Layout): Promise<'created' | 'unchanged'> {
    const existing = this.schedules.get(scheduleId);
    if (existing) {
      if (existing.layout.rows === layout.rows && existing.layout.seatsPerRow === layout.seatsPerRow)
        return 'unchanged';
      throw new SeatError('LAYOUT_CONFLICT');
    }
    const seats: MutableSeat[] = [];
    for (let id = 1; id <= seatCount(layout); id++)
      seats.push({ id, ...seatPosition(layout, id), status: 'AVAILABLE' });
    this.schedules.set(scheduleId, { id: scheduleId, layout: { ...layout }, seats, held: new Set() });
    return 'created';
  }

  async exists(scheduleId: number): Promise<boolean> {
    return this.schedules.has(scheduleId);
  }

  async state(scheduleId: number): Promise<ScheduleState> {
    const schedule = this.schedule(scheduleId);
    return { scheduleId, seats: schedule.seats.map(copy), lastEventId: this.head(schedule) };
  }

  async hold(command: HoldCommand): Promise<MutationResult> {
    const { schedule, seats } = this.begin(command);
    const unavailable = seats.filter(
      (s) => s.status !== 'AVAILABLE' && !(s.status === 'HELD' && s.holder === command.userId),
    );
    if (unavailable.length > 0) throw new SeatError('SEATS_UNAVAILABLE', ids(unavailable));
    const fresh = seats.filter((s) => s.status === 'AVAILABLE');
    if (command.maxPerUser > 0) {
      let mine = 0;
      for (const seat of schedule.held) if (seat.holder === command.userId) mine++;
      if (mine + fresh.length > command.maxPerUser) throw new SeatError('HOLD_LIMIT', ids(fresh));
    }
    const expiresAt = command.now + command.ttlMs;
    for (const seat of fresh) {
      seat.holder = command.userId;
      seat.expiresAt = expiresAt;
      schedule.held.add(seat);
    }
    return this.commit(
      schedule,
      seats,
      fresh.map((s) => [s, 'HELD'] as const),
      command.now,
    );
  }

  async release(command: SeatCommand): Promise<MutationResult> {
    const { schedule, seats } = this.begin(command);
    this.requireHolder(seats, command.userId, false);
    for (const seat of seats) {
      seat.holder = undefined;
      seat.expiresAt = undefined;
      schedule.held.delete(seat);
    }
    return this.commit(
      schedule,
      seats,
      seats.map((s) => [s, 'AVAILABLE'] as const),
      command.now,
    );
  }

  async reserve(command: SeatCommand): Promise<MutationResult> {
    const { schedule, seats } = this.begin(command);
    this.requireHolder(seats, command.userId, true);
    const held = seats.filter((s) => s.status === 'HELD');
    for (const seat of held) {
      seat.expiresAt = undefined;
      schedule.held.delete(seat);
    }
    return this.commit(
      schedule,
      seats,
      held.map((s) => [s, 'RESERVED'] as const),
      command.now,
    );
  }

  async expireDue(now: number): Promise<number> {
    let freed = 0;
    for (const schedule of this.schedules.values()) freed += this.expire(schedule, now);
    return freed;
  }

  async close(): Promise<void> {}

  private schedule(scheduleId: number): Schedule {
    const schedule = this.schedules.get(scheduleId);
    if (!schedule) throw new SeatError('SCHEDULE_NOT_FOUND');
    return schedule;
  }

  /** Finds the seats (all or nothing) after expiring the schedule's due holds. */
  private begin(command: SeatCommand): { schedule: Schedule; seats: MutableSeat[] } {
    const schedule = this.schedule(command.scheduleId);
    const missing = command.seatIds.filter((id) => !schedule.seats[id - 1]);
    if (missing.length > 0) throw new SeatError('SEAT_NOT_FOUND', missing);
    this.expire(schedule, command.now);
    return { schedule, seats: command.seatIds.map((id) => schedule.seats[id - 1]!) };
  }

  /**
   * Release needs seats HELD by the caller; reserve also accepts seats the caller already
   * reserved (a retried reserve). Someone else's hold is 403, a seat nobody holds is 409.
   */
  private requireHolder(seats: readonly MutableSeat[], userId: string, orReserved: boolean): void {
    const others = seats.filter((s) => s.status === 'HELD' && s.holder !== userId);
    if (others.length > 0) throw new SeatError('NOT_YOUR_HOLD', ids(others));
    if (orReserved) {
      const taken = seats.filter((s) => s.status === 'RESERVED' && s.holder !== userId);
      if (taken.length > 0) throw new SeatError('SEATS_UNAVAILABLE', ids(taken));
    }
    const notHeld = seats.filter((s) => s.status === 'AVAILABLE' || (!orReserved && s.status === 'RESERVED'));
    if (notHeld.length > 0) throw new SeatError('NOT_HELD', ids(notHeld));
  }

  private expire(schedule: Schedule, now: number): number {
    const due: MutableSeat[] = [];
    for (const seat of schedule.held) if (seat.expiresAt! <= now) due.push(seat);
    for (const seat of due) {
      seat.holder = undefined;
      seat.expiresAt = undefined;
      schedule.held.delete(seat);
    }
    if (due.length > 0)
      this.commit(
        schedule,
        due,
        due.map((s) => [s, 'AVAILABLE'] as const),
        now,
      );
    return due.length;
  }

  /** Applies the status changes and appends one event per changed seat, in the same step. */
  private commit(
    schedule: Schedule,
    seats: readonly MutableSeat[],
    changes: readonly Change[],
    now: number,
  ): MutationResult {
    let eventId: EventId | undefined;
    for (const [seat, status] of changes) {
      seat.status = status;
      const event = this.bus.appendNow(scheduleTopic(schedule.id), encodeSeatEvent(schedule.id, seat.id, status, now));
      eventId = event;
    }
    return { seats: seats.map(copy), eventId: eventId ?? this.head(schedule), events: changes.length };
  }

  private head(schedule: Schedule): EventId {
    return this.bus.headNow(scheduleTopic(schedule.id));
  }
}

function copy(seat: MutableSeat): SeatState {
  const { id, row, number, status, holder, expiresAt } = seat;
  return holder === undefined
    ? { id, row, number, status }
    : expiresAt === undefined
      ? { id, row, number, status, holder }
      : { id, row, number, status, holder, expiresAt };
}

function ids(seats: readonly MutableSeat[]): number[] {
  return seats.map((s) => s.id);
}
