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
import type {
  HoldCommand,
  HoldNotice,
  ImportCommand,
  ImportResult,
  MutationResult,
  ReleaseAnyCommand,
  ReleaseAnyResult,
  ReserveOrderCommand,
  ScheduleSummary,
  SeatCommand,
  SeatStore,
} from '../../seats/seat-store.js';
import { ExpiryIndex } from './expiry-index.js';
import type { LocalBus } from './local-bus.js';
import { Tally } from './tally.js';

interface MutableSeat {
  readonly id: number;
  readonly row: string;
  readonly number: number;
  status: SeatStatus;
  holder?: string;
  expiresAt?: number;
  /** The address a HELD seat was held from, when one was given. */
  address?: string;
  /** The order a RESERVED seat was reserved for by `reserveOrder`. */
  orderId?: string;
  /** When a HELD seat's hold was made, counted per schedule (due holds expire in this order); set while HELD. */
  heldSeq?: number;
  /** The seat's slot in its schedule's expiry index while HELD (see ExpiryIndex). */
  slot?: number;
}

interface Schedule {
  readonly id: number;
  readonly layout: Layout;
  readonly seats: MutableSeat[];
  /**
   * The HELD seats, by expiry: a mutation finds its due holds, and a sweep the holds to warn of,
   * without scanning every held seat. No Set of them: see Tally for what churn does to one.
   */
  readonly held: ExpiryIndex<MutableSeat>;
  /** Holds made so far, for each hold's `heldSeq`. */
  holdsMade: number;
  /** Seats HELD per user and per address, kept by every step that holds or ends a hold. */
  readonly heldByUser: Tally;
  readonly heldByAddress: Tally;
  /** `<seat>|<user>` → epoch ms until which that user may not hold that seat; oldest write first. */
  readonly cooldowns: Map<string, number>;
  /** Order id → its seat ids, sorted, joined by commas. */
  readonly orders: Map<string, string>;
  /** Seats RESERVED, kept by `commit`, for the list of schedules. */
  reserved: number;
  /** Held seats whose holder was told the hold is about to expire. */
  readonly warned: Set<MutableSeat>;
  /** Holds that expired, oldest first, until `takeHoldNotices` tells their holders. */
  expired: HoldNotice[];
  /**
   * A big schedule's seats as `state()` hands them out, kept current by `commit`: its map is read
   * at nearly every offset while it sells, and copying 100,000 seats each time held the event loop
   * for about 11 ms. Once lent the array is never written again: the next change copies it
   * (pointers only) and replaces the changed seats in the copy.
   */
  view: SeatState[] | undefined;
  viewLent: boolean;
}

/** Schedules of at least this many seats keep a `view`; smaller ones are copied on each read. */
const VIEW_MIN_SEATS = 10_000;

/** Most expiries a schedule keeps for `takeHoldNotices`; past it the oldest go. */
const MAX_EXPIRED = 10_000;

type Change = readonly [MutableSeat, SeatStatus];

/** What every mutation names: the schedule, the seats, the time, and the cool-down for the holds it expires. */
interface Mutation {
  readonly scheduleId: number;
  readonly seatIds: readonly number[];
  readonly now: number;
  readonly cooldownMs?: number;
}

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
      if (sameLayout(existing.layout, layout)) return 'unchanged';
      throw new SeatError('LAYOUT_CONFLICT');
    }
    this.create(scheduleId, layout);
    return 'created';
  }

  async importSchedule(command: ImportCommand): Promise<ImportResult> {
    const { scheduleId, layout, now } = command;
    const existing = this.schedules.get(scheduleId);
    if (existing && !sameLayout(existing.layout, layout)) throw new SeatError('LAYOUT_CONFLICT');
    const total = seatCount(layout);
    const missing = command.reserved.filter((id) => !(Number.isInteger(id) && id >= 1 && id <= total));
    if (missing.length > 0) throw new SeatError('SEAT_NOT_FOUND', missing);
    const schedule = existing ?? this.create(scheduleId, layout);
    if (existing) {
      trimCooldowns(schedule, now);
      this.expire(schedule, now, command.cooldownMs ?? 0);
    }
    // The operator's records are the truth: a seat a buyer holds is taken from the hold.
    const changed = new Set<MutableSeat>();
    for (const id of command.reserved) {
      const seat = schedule.seats[id - 1]!;
      if (seat.status === 'RESERVED' || changed.has(seat)) continue;
      if (seat.status === 'HELD') this.unhold(schedule, seat);
      free(seat);
      changed.add(seat);
    }
    const result = this.commit(
      schedule,
      [],
      [...changed].map((s) => [s, 'RESERVED'] as const),
      now,
    );
    return {
      outcome: existing ? (changed.size > 0 ? 'updated' : 'unchanged') : 'created',
      layout: { ...schedule.layout },
      reserved: ids([...changed]),
      eventId: result.eventId,
      events: result.events,
    };
  }

  async listSchedules(): Promise<ScheduleSummary[]> {
    return [...this.schedules.values()]
      .sort((a, b) => a.id - b.id)
      .map((schedule) => ({
        scheduleId: schedule.id,
        layout: { ...schedule.layout },
        available: schedule.seats.length - schedule.held.size - schedule.reserved,
        held: schedule.held.size,
        reserved: schedule.reserved,
        lastEventId: this.head(schedule),
      }));
  }

  async deleteSchedule(scheduleId: number): Promise<void> {
    this.schedule(scheduleId);
    this.schedules.delete(scheduleId);
    // Its history goes too, and every stream that follows it hears of the deletion.
    this.bus.dropNow(scheduleTopic(scheduleId));
  }

  private create(scheduleId: number, layout: Layout): Schedule {
    const seats: MutableSeat[] = [];
    for (let id = 1; id <= seatCount(layout); id++)
      seats.push({ id, ...seatPosition(layout, id), status: 'AVAILABLE' });
    const schedule: Schedule = {
      id: scheduleId,
      layout: { rows: layout.rows, seatsPerRow: layout.seatsPerRow },
      seats,
      held: new ExpiryIndex(),
      holdsMade: 0,
      heldByUser: new Tally(),
      heldByAddress: new Tally(),
      cooldowns: new Map(),
      orders: new Map(),
      reserved: 0,
      warned: new Set(),
      expired: [],
      view: undefined,
      viewLent: false,
    };
    this.schedules.set(scheduleId, schedule);
    return schedule;
  }

  async exists(scheduleId: number): Promise<boolean> {
    return this.schedules.has(scheduleId);
  }

  async state(scheduleId: number): Promise<ScheduleState> {
    const schedule = this.schedule(scheduleId);
    if (schedule.seats.length < VIEW_MIN_SEATS)
      return { scheduleId, seats: schedule.seats.map(copy), lastEventId: this.head(schedule) };
    schedule.view ??= schedule.seats.map(copy);
    schedule.viewLent = true;
    return { scheduleId, seats: schedule.view, lastEventId: this.head(schedule) };
  }

  async hold(command: HoldCommand): Promise<MutationResult> {
    const { schedule, seats } = this.begin(command);
    const { userId: user, now } = command;
    const unavailable = seats.filter((s) => s.status !== 'AVAILABLE' && !(s.status === 'HELD' && s.holder === user));
    if (unavailable.length > 0) throw new SeatError('SEATS_UNAVAILABLE', ids(unavailable));
    const fresh = seats.filter((s) => s.status === 'AVAILABLE');
    const cooling = fresh.filter((s) => (schedule.cooldowns.get(cooldownKey(s, user)) ?? 0) > now);
    if (cooling.length > 0) {
      const until = Math.min(...cooling.map((s) => schedule.cooldowns.get(cooldownKey(s, user))!));
      throw new SeatError('HOLD_COOLDOWN', ids(cooling), undefined, { retryAfterMs: until - now });
    }
    if (command.maxPerUser > 0 && schedule.heldByUser.get(user) + fresh.length > command.maxPerUser)
      throw new SeatError('HOLD_LIMIT', ids(fresh));
    const address = command.address || undefined;
    const maxPerAddress = command.maxPerAddress ?? 0;
    if (
      address !== undefined &&
      maxPerAddress > 0 &&
      schedule.heldByAddress.get(address) + fresh.length > maxPerAddress
    )
      throw new SeatError('ADDRESS_HOLD_LIMIT', ids(fresh));
    const expiresAt = Math.min(now + command.ttlMs, Math.floor(command.notAfter ?? Number.POSITIVE_INFINITY));
    for (const seat of fresh) {
      seat.holder = user;
      seat.expiresAt = expiresAt;
      seat.address = address;
      seat.heldSeq = schedule.holdsMade++;
      schedule.held.add(seat);
      schedule.heldByUser.add(user, 1);
      if (address !== undefined) schedule.heldByAddress.add(address, 1);
    }
    return this.commit(
      schedule,
      seats,
      fresh.map((s) => [s, 'HELD'] as const),
      now,
    );
  }

  async release(command: SeatCommand): Promise<MutationResult> {
    const { schedule, seats } = this.begin(command);
    this.requireHolder(seats, command.userId);
    for (const seat of seats) {
      this.unhold(schedule, seat);
      this.coolDown(schedule, seat, command.userId, command.now + (command.cooldownMs ?? 0), command.now);
      free(seat);
    }
    return this.commit(
      schedule,
      seats,
      seats.map((s) => [s, 'AVAILABLE'] as const),
      command.now,
    );
  }

  async reserveOrder(command: ReserveOrderCommand): Promise<MutationResult> {
    const { schedule, seats } = this.begin(command);
    const { orderId } = command;
    const known = schedule.orders.get(orderId);
    if (known !== undefined) {
      if (known !== orderKey(command.seatIds)) throw new SeatError('ORDER_CONFLICT');
      return this.commit(schedule, seats, [], command.now);
    }
    const notHeld = seats.filter((s) => !(s.status === 'HELD' && s.holder === command.userId));
    if (notHeld.length > 0) throw new SeatError('NOT_HELD', ids(notHeld));
    for (const seat of seats) {
      this.unhold(schedule, seat);
      seat.orderId = orderId;
    }
    schedule.orders.set(orderId, orderKey(command.seatIds));
    return this.commit(
      schedule,
      seats,
      seats.map((s) => [s, 'RESERVED'] as const),
      command.now,
    );
  }

  async releaseAny(command: ReleaseAnyCommand): Promise<ReleaseAnyResult> {
    const { schedule, seats } = this.begin(command);
    const available = seats.filter((s) => s.status === 'AVAILABLE');
    if (available.length > 0) throw new SeatError('NOT_HELD', ids(available));
    const holders = seats.map((s) => s.holder);
    for (const seat of seats) {
      if (seat.status === 'HELD') this.unhold(schedule, seat);
      // Only if the order id still names this seat: a forgotten id may have been used again since.
      const order = seat.orderId === undefined ? undefined : schedule.orders.get(seat.orderId);
      if (order !== undefined && `,${order},`.includes(`,${seat.id},`)) schedule.orders.delete(seat.orderId!);
      free(seat);
    }
    const result = this.commit(
      schedule,
      seats,
      seats.map((s) => [s, 'AVAILABLE'] as const),
      command.now,
    );
    return { ...result, holders };
  }

  async expireDue(now: number, cooldownMs = 0): Promise<number> {
    let freed = 0;
    for (const schedule of this.schedules.values()) {
      trimCooldowns(schedule, now);
      freed += this.expire(schedule, now, cooldownMs);
    }
    return freed;
  }

  async takeHoldNotices(now: number, warnBeforeMs: number): Promise<HoldNotice[]> {
    const notices: HoldNotice[] = [];
    for (const schedule of this.schedules.values()) {
      notices.push(...schedule.expired);
      schedule.expired = [];
      if (warnBeforeMs <= 0) continue;
      for (const seat of inHoldOrder(schedule.held.upTo(now + warnBeforeMs))) {
        if (schedule.warned.has(seat)) continue;
        schedule.warned.add(seat);
        notices.push(notice('expiring', schedule, seat));
      }
    }
    return notices;
  }

  async close(): Promise<void> {}

  private schedule(scheduleId: number): Schedule {
    const schedule = this.schedules.get(scheduleId);
    if (!schedule) throw new SeatError('SCHEDULE_NOT_FOUND');
    return schedule;
  }

  /** Finds the seats (all or nothing) after expiring the schedule's due holds. */
  private begin(command: Mutation): { schedule: Schedule; seats: MutableSeat[] } {
    const schedule = this.schedule(command.scheduleId);
    const missing = command.seatIds.filter((id) => !schedule.seats[id - 1]);
    if (missing.length > 0) throw new SeatError('SEAT_NOT_FOUND', missing);
    trimCooldowns(schedule, command.now);
    this.expire(schedule, command.now, command.cooldownMs ?? 0);
    return { schedule, seats: command.seatIds.map((id) => schedule.seats[id - 1]!) };
  }

  /** Release needs seats HELD by the caller: someone else's hold is 403, a seat nobody holds 409. */
  private requireHolder(seats: readonly MutableSeat[], userId: string): void {
    const others = seats.filter((s) => s.status === 'HELD' && s.holder !== userId);
    if (others.length > 0) throw new SeatError('NOT_YOUR_HOLD', ids(others));
    const notHeld = seats.filter((s) => s.status !== 'HELD');
    if (notHeld.length > 0) throw new SeatError('NOT_HELD', ids(notHeld));
  }

  private expire(schedule: Schedule, now: number, cooldownMs: number): number {
    const due = inHoldOrder(schedule.held.takeDue(now));
    for (const seat of due) {
      const { holder, expiresAt } = seat;
      schedule.expired.push(notice('expired', schedule, seat));
      this.unhold(schedule, seat);
      this.coolDown(schedule, seat, holder!, expiresAt! + cooldownMs, now);
      free(seat);
    }
    if (schedule.expired.length > MAX_EXPIRED) schedule.expired.splice(0, schedule.expired.length - MAX_EXPIRED);
    if (due.length > 0)
      this.commit(
        schedule,
        due,
        due.map((s) => [s, 'AVAILABLE'] as const),
        now,
      );
    return due.length;
  }

  /** A HELD seat stops counting as held (its holder stays, for a reservation). */
  private unhold(schedule: Schedule, seat: MutableSeat): void {
    if (seat.heldSeq === undefined) return;
    schedule.held.delete(seat); // already out when the hold expired: takeDue took it
    schedule.warned.delete(seat);
    schedule.heldByUser.add(seat.holder!, -1);
    if (seat.address !== undefined) schedule.heldByAddress.add(seat.address, -1);
    seat.expiresAt = undefined;
    seat.address = undefined;
    seat.heldSeq = undefined;
  }

  /** `user` may not hold `seat` again before `until`; nothing to remember when that has passed. */
  private coolDown(schedule: Schedule, seat: MutableSeat, user: string, until: number, now: number): void {
    const key = cooldownKey(seat, user);
    schedule.cooldowns.delete(key); // written again at the end, where the trim expects the newest
    if (until > now) schedule.cooldowns.set(key, until);
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
      schedule.reserved += (status === 'RESERVED' ? 1 : 0) - (seat.status === 'RESERVED' ? 1 : 0);
      seat.status = status;
      const event = this.bus.appendNow(scheduleTopic(schedule.id), encodeSeatEvent(schedule.id, seat.id, status, now));
      eventId = { offset: event.offset, epoch: event.epoch };
    }
    const named = seats.map(copy);
    // Every seat a mutation touched is among those it names or those it changes.
    if (schedule.view) {
      if (schedule.viewLent) {
        schedule.view = schedule.view.slice();
        schedule.viewLent = false;
      }
      for (const [seat] of changes) schedule.view[seat.id - 1] = copy(seat);
      for (const seat of named) schedule.view[seat.id - 1] = seat; // shared with the answer (read-only)
    }
    return { seats: named, eventId: eventId ?? this.head(schedule), events: changes.length };
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

function notice(kind: HoldNotice['kind'], schedule: Schedule, seat: MutableSeat): HoldNotice {
  return { kind, scheduleId: schedule.id, seatId: seat.id, holder: seat.holder!, expiresAt: seat.expiresAt! };
}

function sameLayout(a: Layout, b: Layout): boolean {
  return a.rows === b.rows && a.seatsPerRow === b.seatsPerRow;
}

function ids(seats: readonly MutableSeat[]): number[] {
  return seats.map((s) => s.id);
}

function free(seat: MutableSeat): void {
  seat.holder = undefined;
  seat.expiresAt = undefined;
  seat.address = undefined;
  seat.orderId = undefined;
}

/** Holds in the order they were made, the order their notices and events have always come in. */
function inHoldOrder(seats: MutableSeat[]): MutableSeat[] {
  return seats.sort((a, b) => a.heldSeq! - b.heldSeq!);
}

function cooldownKey(seat: MutableSeat, user: string): string {
  return `${seat.id}|${user}`;
}

/** A set of seats as one text, whatever order it was named in. */
function orderKey(seatIds: readonly number[]): string {
  return [...seatIds].sort((a, b) => a - b).join(',');
}

/**
 * Forgets cool-downs that have passed, oldest write first, stopping at the first still running:
 * one written later may end earlier and wait a little longer, but never longer than a cool-down.
 */
function trimCooldowns(schedule: Schedule, now: number): void {
  for (const [key, until] of schedule.cooldowns) {
    if (until > now) return;
    schedule.cooldowns.delete(key);
  }
}
