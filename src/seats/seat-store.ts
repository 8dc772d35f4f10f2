import type { EventId } from '../protocol/event-id.js';
import type { Layout, ScheduleState, SeatState } from './seat.js';

export interface SeatCommand {
  readonly scheduleId: number;
  readonly userId: string;
  /** Distinct seat ids. */
  readonly seatIds: readonly number[];
  /** Epoch ms: the time the store judges expiry by. */
  readonly now: number;
}

export interface HoldCommand extends SeatCommand {
  readonly ttlMs: number;
  /** Most seats one user may hold in a schedule at once; 0 = no limit. */
  readonly maxPerUser: number;
}

export interface MutationResult {
  /** The requested seats after the change. */
  readonly seats: readonly SeatState[];
  /** The last event this mutation wrote, or the schedule's head when it wrote none. */
  readonly eventId: EventId;
  /** How many events it wrote (0 for a repeated hold or reserve). */
  readonly events: number;
}

/**
 * Where seats live. Contract, for every implementation:
 * - A mutation checks every requested seat first and changes nothing when any check fails
 *   (all or nothing), throwing a SeatError that names the offending seats.
 * - A state change and its event (one per seat, appended to the schedule's topic on the event
 *   bus with the next contiguous offset) are one atomic step: no reader ever sees one without
 *   the other, and `state()` returns the id of the last event its seats reflect.
 * - A hold past its expiry is expired — status AVAILABLE, exactly one event — by whichever comes
 *   first: `expireDue`, or any mutation of that schedule (which expires due holds before its
 *   checks). Across instances, each expiry happens once.
 * - Holding a seat you already hold, or reserving one you already reserved, succeeds without a
 *   new event, so a retried request is safe; it does not extend the hold.
 * - Only the holder may release or reserve a seat.
 */
export interface SeatStore {
  /** Idempotent for the same layout; SeatError LAYOUT_CONFLICT for another. */
  createSchedule(scheduleId: number, layout: Layout): Promise<'created' | 'unchanged'>;
  exists(scheduleId: number): Promise<boolean>;
  /** SeatError SCHEDULE_NOT_FOUND when it does not exist. */
  state(scheduleId: number): Promise<ScheduleState>;
  hold(command: HoldCommand): Promise<MutationResult>;
  release(command: SeatCommand): Promise<MutationResult>;
  reserve(command: SeatCommand): Promise<MutationResult>;
  /** Expires every hold due at `now` in every schedule; returns how many seats it freed. */
  expireDue(now: number): Promise<number>;
  close(): Promise<void>;
}
