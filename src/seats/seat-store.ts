import type { EventId } from '../protocol/event-id.js';
import type { Layout, ScheduleState, SeatState } from './seat.js';

export interface SeatCommand {
  readonly scheduleId: number;
  readonly userId: string;
  /** Distinct seat ids. */
  readonly seatIds: readonly number[];
  /** Epoch ms: the time the store judges expiry by. */
  readonly now: number;
  /**
   * Ms after a user's hold ends (the user released it, or it expired) during which that user may
   * not hold that seat again; applied to the holds this command releases or expires. 0 (the
   * default) = no cool-down.
   */
  readonly cooldownMs?: number;
}

export interface HoldCommand extends SeatCommand {
  readonly ttlMs: number;
  /** Most seats one user may hold in a schedule at once; 0 = no limit. */
  readonly maxPerUser: number;
  /** Epoch ms the hold may not outlive (the credential's expiry): expiry = min(now + ttlMs, notAfter). */
  readonly notAfter?: number;
  /** The client address the hold is made from; remembered with the hold, counted per schedule. */
  readonly address?: string;
  /** Most seats one address may hold in a schedule at once, across its users; 0/undefined = no limit. */
  readonly maxPerAddress?: number;
}

/** The service reserves seats its user holds, for an order. */
export interface ReserveOrderCommand extends SeatCommand {
  /** The order's id, remembered per schedule with its seats. */
  readonly orderId: string;
}

/** The service frees seats whoever holds or reserved them (a cancelled payment, a refund). */
export interface ReleaseAnyCommand {
  readonly scheduleId: number;
  /** Distinct seat ids. */
  readonly seatIds: readonly number[];
  readonly now: number;
  /** Applied to the due holds this command expires (not to the seats it releases). */
  readonly cooldownMs?: number;
}

/**
 * The service creates a schedule, or restores one from its own records: the listed seats become
 * RESERVED (the operator's database is the truth, so a seat a buyer holds is taken from it).
 */
export interface ImportCommand {
  readonly scheduleId: number;
  readonly layout: Layout;
  /** Seat ids to be RESERVED; repeats are harmless. */
  readonly reserved: readonly number[];
  /** Epoch ms: the time of the events, and the time due holds are expired by. */
  readonly now: number;
  /** Applied to the due holds the import expires first (as any mutation does). */
  readonly cooldownMs?: number;
}

export interface ImportResult {
  /** `created`: the schedule is new; `updated`: seats became RESERVED; `unchanged`: nothing to do. */
  readonly outcome: 'created' | 'updated' | 'unchanged';
  readonly layout: Layout;
  /** The seats this import made RESERVED, in the order they were named (one event each). */
  readonly reserved: readonly number[];
  /** The last event the import wrote, or the schedule's head when it wrote none. */
  readonly eventId: EventId;
  readonly events: number;
}

/** A schedule as the service's list shows it: counts kept as data, never counted seat by seat. */
export interface ScheduleSummary {
  readonly scheduleId: number;
  readonly layout: Layout;
  readonly available: number;
  /** Seats HELD, due holds not yet expired included. */
  readonly held: number;
  readonly reserved: number;
  readonly lastEventId: EventId;
}

export interface MutationResult {
  /** The requested seats after the change. */
  readonly seats: readonly SeatState[];
  /** The last event this mutation wrote, or the schedule's head when it wrote none. */
  readonly eventId: EventId;
  /** How many events it wrote (0 for a repeated hold or order). */
  readonly events: number;
}

/** What `releaseAny` did, and whose seats it took. */
export interface ReleaseAnyResult extends MutationResult {
  /** Each requested seat's holder before the release, in request order (undefined: imported). */
  readonly holders: readonly (string | undefined)[];
}

/** A hold its holder should hear about: it expired, or it is about to. */
export interface HoldNotice {
  readonly kind: 'expired' | 'expiring';
  readonly scheduleId: number;
  readonly seatId: number;
  readonly holder: string;
  /** Epoch ms the hold expires (or expired). */
  readonly expiresAt: number;
}

/**
 * Where seats live. Contract, for every implementation:
 * - A mutation checks every requested seat first and changes nothing when any check fails
 *   (all or nothing), throwing a SeatError that names the offending seats. Unknown schedule:
 *   SCHEDULE_NOT_FOUND; unknown seats: SEAT_NOT_FOUND. An operation on a schedule that does not
 *   exist writes nothing at all (no key is left behind in Redis).
 * - A state change and its event (one per seat, appended to the schedule's topic on the event
 *   bus with the next contiguous offset) are one atomic step: no reader ever sees one without
 *   the other, and `state()` returns the id of the last event its seats reflect.
 * - A hold past its expiry is expired — status AVAILABLE, exactly one event — by whichever comes
 *   first: `expireDue`, or any mutation of that schedule (which expires due holds before its
 *   checks, and keeps them expired even when it then refuses). Across instances, each expiry
 *   happens once.
 * - A hold expires at `min(now + ttlMs, notAfter)`: it never outlives the credential that made it.
 * - Holding a seat you already hold, or reserving one you already reserved, succeeds without a
 *   new event, so a retried request is safe; it does not extend the hold.
 * - Cool-down: when a user's hold ends because the user released it (`release`) or it expired
 *   (by `expireDue` or by a later mutation), that user may not hold that seat again until
 *   `end + cooldownMs`, where end is the release's `now` or the hold's expiry time, and
 *   cooldownMs is the one of the command (or `expireDue` call) that ended it. Holding such a
 *   seat is refused with HOLD_COOLDOWN naming the cooling seats, `retryAfterMs` = ms until the
 *   earliest of them may be held again. Other users are not affected; `releaseAny` and reserving
 *   start no cool-down. Checked after SEATS_UNAVAILABLE, before the limits.
 * - Limits: a user may hold at most `maxPerUser` seats of a schedule (HOLD_LIMIT), an address at
 *   most `maxPerAddress` across all its users (ADDRESS_HOLD_LIMIT), both naming the seats the
 *   hold would add; seats already held by the user count, but are not added again. The counts
 *   are kept as data, updated by the very step that holds, releases, reserves or expires a seat,
 *   so no check ever scans the schedule: a mutation costs in proportion to the seats it names
 *   (and the due holds it expires), never to the seats already held. A hold remembers its address.
 * - Only the holder may `release` a seat (the buyer's act): someone else's hold is NOT_YOUR_HOLD,
 *   a seat nobody holds (available or reserved) NOT_HELD.
 * - `reserveOrder` (the service's act): every seat must be HELD by `userId`, unexpired, else
 *   NOT_HELD naming the others (held by someone else, available, reserved). They become RESERVED,
 *   one event each, and the order is remembered per schedule with its set of seats: the same
 *   order id again with the same set (in any order) succeeds with no event; with another set it is
 *   ORDER_CONFLICT.
 * - `releaseAny` (the service's act): frees seats HELD or RESERVED by anyone, one AVAILABLE event
 *   each; an AVAILABLE seat is NOT_HELD. Releasing a reserved seat forgets its order, so a retry
 *   of that order id is NOT_HELD rather than a stale success. No cool-down.
 * - `importSchedule` (the service's): creates the schedule when it does not exist, else needs the
 *   same layout (LAYOUT_CONFLICT); every named seat must exist in that layout (SEAT_NOT_FOUND,
 *   nothing created or changed). Each named seat not yet RESERVED becomes RESERVED with one event
 *   (in the order named), a HELD one included: its hold ends without a cool-down and stops
 *   counting for its user and address. A seat already RESERVED stays as it is, without an event.
 *   Like every mutation it first expires due holds. Its cost grows with the seats it names.
 * - `listSchedules`: every schedule, sorted by id, with counts read from data the mutations keep.
 * - `deleteSchedule`: every trace of the schedule is gone (SCHEDULE_NOT_FOUND when there is none),
 *   and every live listener of its topic, on every instance, gets the deletion as a bus event
 *   whose data is `DELETED_EVENT` (offset 0, never stored, never resumed from). A schedule
 *   created again under the same id never resumes an id of the deleted one.
 * - `takeHoldNotices(now, warnBeforeMs)`: each notice once, across instances: `expired` for every
 *   hold that expired (by `expireDue` or by any mutation) since the last call, kept in the same
 *   step as the expiry so that none goes untold (a bounded outbox: past 10,000 waiting in one
 *   schedule, the oldest are dropped); `expiring` for every hold still held whose expiry lies
 *   within `now + warnBeforeMs` (0: none) and that was not announced as expiring before. A hold
 *   that ends otherwise (released, reserved, imported) brings none; a deleted schedule's waiting
 *   notices go with it.
 */
export interface SeatStore {
  /** Idempotent for the same layout; SeatError LAYOUT_CONFLICT for another. */
  createSchedule(scheduleId: number, layout: Layout): Promise<'created' | 'unchanged'>;
  exists(scheduleId: number): Promise<boolean>;
  /** SeatError SCHEDULE_NOT_FOUND when it does not exist. */
  state(scheduleId: number): Promise<ScheduleState>;
  hold(command: HoldCommand): Promise<MutationResult>;
  /** The holder releases its held seats; starts the cool-down. */
  release(command: SeatCommand): Promise<MutationResult>;
  /** The service reserves the user's held seats for an order; idempotent per order id. */
  reserveOrder(command: ReserveOrderCommand): Promise<MutationResult>;
  /** The service frees held or reserved seats of anyone; no cool-down. */
  releaseAny(command: ReleaseAnyCommand): Promise<ReleaseAnyResult>;
  /**
   * Expires every hold due at `now` in every schedule, starting each one's cool-down of
   * `cooldownMs`; returns how many seats it freed.
   */
  expireDue(now: number, cooldownMs?: number): Promise<number>;
  /** The notices due to holders: expired holds and holds about to expire; see the contract above. */
  takeHoldNotices(now: number, warnBeforeMs: number): Promise<HoldNotice[]>;
  /** Creates or restores a schedule with seats RESERVED; see the contract above. */
  importSchedule(command: ImportCommand): Promise<ImportResult>;
  /** Every schedule, sorted by id. */
  listSchedules(): Promise<ScheduleSummary[]>;
  /** SeatError SCHEDULE_NOT_FOUND when it does not exist. */
  deleteSchedule(scheduleId: number): Promise<void>;
  close(): Promise<void>;
}
