import { type EventId, isNotNewer, parseEventId } from '../protocol/event-id.js';
import { nextStep } from '../protocol/resume.js';
import {
  isSeatStatus,
  type Seat,
  type SeatChangeResult,
  type SeatEventData,
  type SeatsResponse,
  type SeatStatus,
  type SeatView,
  type SnapshotData,
} from './types.js';

/** Where a seat's new local view came from. */
export type SeatChangeSource = 'stream' | 'response' | 'sync';

/** A seat whose local view changed. */
export interface SeatChange {
  scheduleId: number;
  seat: SeatView;
  previous: SeatView;
  source: SeatChangeSource;
}

/**
 * What became of a stream event:
 * - `applied`: it was the next event; the map moved to its id (`change` when a seat's view changed);
 * - `duplicate`: its id was already reflected (a replay after a resume): ignored;
 * - `gap`: an event between the map's id and this one is missing;
 * - `stale-epoch`: it belongs to another epoch than the map (history was lost);
 * - `no-map`: no snapshot yet to apply it to.
 * The last three mean the map can no longer be kept consistent from this stream: resynchronise.
 */
export type ApplyOutcome =
  | { kind: 'applied'; change: SeatChange | undefined }
  | { kind: 'duplicate' }
  | { kind: 'gap'; expected: number }
  | { kind: 'stale-epoch' }
  | { kind: 'no-map' };

/**
 * One schedule's seat map as a client sees it: a snapshot, then every later event in id order,
 * each exactly once. It also remembers which seats are this client's (`mine`), which the public
 * stream never says, from the client's own hold / release / checkout answers and from
 * `GET …/seats` with a session.
 *
 * A mutation's answer can arrive before the stream delivers its events. Its seats are applied at
 * once and remembered with the answer's event id, so the older stream events that follow cannot
 * undo them.
 */
export class ScheduleSeatMap {
  private byId = new Map<number, SeatView>();
  private position: EventId | undefined;
  /** Seat → id of an own answer that is newer than `position`. */
  private readonly versions = new Map<number, EventId>();
  /**
   * Seat → id of my last own answer about it, kept after the stream caught up with it: a sync whose
   * `GET …/seats` was answered before that id must not undo what my answer taught (the GET may
   * arrive after the stream did).
   */
  private readonly answeredAt = new Map<number, EventId>();

  constructor(readonly scheduleId: number) {}

  /** True once a snapshot was applied. */
  get loaded(): boolean {
    return this.position !== undefined;
  }

  /** The id of the last stream event reflected in the map. */
  get eventId(): EventId | undefined {
    return this.position;
  }

  get seats(): ReadonlyMap<number, SeatView> {
    return this.byId;
  }

  get(seatId: number): SeatView | undefined {
    return this.byId.get(seatId);
  }

  /** My held seats, earliest expiry first. */
  myHolds(): SeatView[] {
    const held: SeatView[] = [];
    for (const seat of this.byId.values()) if (seat.mine && seat.status === 'HELD') held.push(seat);
    return held.sort((a, b) => (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity) || a.id - b.id);
  }

  /** Replaces the map with a snapshot taken at `id`. Keeps what is still known to be mine. */
  applySnapshot(id: EventId, data: SnapshotData, now = Date.now()): SeatView[] {
    const old = this.byId;
    const sameEpoch = this.position?.epoch === id.epoch;
    const next = new Map<number, SeatView>();
    for (const raw of data.seats) {
      if (!raw || !Number.isSafeInteger(raw.id) || !isSeatStatus(raw.status)) continue;
      const prev = old.get(raw.id);
      const version = this.versions.get(raw.id);
      if (prev && version && version.epoch === id.epoch && version.offset > id.offset) {
        next.set(raw.id, prev); // my own answer is newer than this snapshot
        continue;
      }
      this.versions.delete(raw.id);
      // Still mine if it kept its status (a hold that is past its expiry is not).
      const keep =
        prev?.mine === true &&
        sameEpoch &&
        prev.status === raw.status &&
        raw.status !== 'AVAILABLE' &&
        !(raw.status === 'HELD' && prev.expiresAt !== undefined && prev.expiresAt <= now);
      next.set(raw.id, {
        id: raw.id,
        row: String(raw.row),
        number: raw.number,
        status: raw.status,
        mine: keep,
        expiresAt: keep ? prev.expiresAt : undefined,
      });
    }
    if (!sameEpoch) this.versions.clear();
    this.byId = next;
    this.position = id;
    return [...next.values()];
  }

  /** Applies one seat event of the stream, if it is the next one. */
  applyEvent(id: EventId, data: SeatEventData): ApplyOutcome {
    const position = this.position;
    if (!position) return { kind: 'no-map' };
    const step = nextStep(
      { epoch: position.epoch, last: position.offset },
      { epoch: id.epoch, first: id.offset, last: id.offset },
    );
    if (step.action === 'resync') {
      return step.reason === 'epoch' ? { kind: 'stale-epoch' } : { kind: 'gap', expected: position.offset + 1 };
    }
    if (step.action !== 'deliver') return { kind: 'duplicate' };
    this.position = id;
    const seat = this.byId.get(data.scheduleSeatId);
    if (!seat || !isSeatStatus(data.status)) return { kind: 'applied', change: undefined };
    const version = this.versions.get(seat.id);
    if (version) {
      // My answer is newer (or from an epoch the stream has not reached yet): keep it.
      if (version.epoch !== id.epoch || id.offset < version.offset) return { kind: 'applied', change: undefined };
      this.versions.delete(seat.id); // the stream caught up with my answer
    }
    // Only the holder can reserve, so a seat of mine that turns RESERVED stays mine; a seat that
    // turns AVAILABLE is no one's; a seat that turns HELD was available, so someone else's (or
    // mine from another tab, which the next sync tells).
    const mine = seat.mine && data.status !== 'AVAILABLE' && !(data.status === 'HELD' && seat.status !== 'HELD');
    return {
      kind: 'applied',
      change: this.update(seat, data.status, mine, mine ? seat.expiresAt : undefined, 'stream'),
    };
  }

  /**
   * Applies the answer of my own hold / release / checkout. `mine: true`: its seats that are not
   * AVAILABLE are mine whatever the answer says (a checkout reserves only my own held seats, and
   * an operator's checkout may pass on the service's answer, which has no `mine`).
   */
  applyResult(result: SeatChangeResult, options: { mine?: boolean } = {}): SeatChange[] {
    const id = parseEventId(result.eventId);
    const streamIsAhead = id !== undefined && isNotNewer(id, this.position);
    const changes: SeatChange[] = [];
    for (const seat of result.seats) {
      const current = this.byId.get(seat.id);
      if (!current || !isSeatStatus(seat.status)) continue;
      const expiresAt = seat.expiresAt ? Date.parse(seat.expiresAt) : undefined;
      const mine = seat.mine === true || (options.mine === true && seat.status !== 'AVAILABLE');
      if (id) this.answeredAt.set(seat.id, id);
      let change: SeatChange | undefined;
      if (streamIsAhead) {
        // The map already reflects this answer or later: only learn whose seats they are.
        if (current.status === seat.status) change = this.update(current, current.status, mine, expiresAt, 'response');
      } else {
        if (id) this.versions.set(seat.id, id);
        change = this.update(current, seat.status, mine, expiresAt, 'response');
      }
      if (change) changes.push(change);
    }
    return changes;
  }

  /**
   * Learns which seats are mine from `GET …/seats` made with my session. Statuses stay as the
   * stream says; only seats whose status agrees with the response change owner.
   */
  applyMine(response: SeatsResponse): SeatChange[] {
    const at = parseEventId(response.lastEventId);
    const mineNow = new Map<number, Seat>();
    for (const seat of response.seats) if (seat.mine) mineNow.set(seat.id, seat);
    const changes: SeatChange[] = [];
    for (const seat of this.byId.values()) {
      const theirs = mineNow.get(seat.id);
      let change: SeatChange | undefined;
      if (theirs && theirs.status === seat.status) {
        const expiresAt = theirs.expiresAt ? Date.parse(theirs.expiresAt) : undefined;
        change = this.update(seat, seat.status, true, seat.status === 'HELD' ? expiresAt : undefined, 'sync');
      } else if (!theirs && seat.mine) {
        const version = this.answeredAt.get(seat.id);
        // A hold I made after this response was produced is still mine.
        if (!(version && at && version.epoch === at.epoch && version.offset > at.offset)) {
          change = this.update(seat, seat.status, false, undefined, 'sync');
        }
      }
      if (change) changes.push(change);
    }
    return changes;
  }

  /** After a logout: no seat is mine any more (statuses stay as the stream says). */
  forgetMine(): SeatChange[] {
    const changes: SeatChange[] = [];
    for (const seat of this.byId.values()) {
      if (!seat.mine) continue;
      // Versions stay: they still keep older stream events from undoing a newer status.
      const change = this.update(seat, seat.status, false, undefined, 'sync');
      if (change) changes.push(change);
    }
    return changes;
  }

  private update(
    seat: SeatView,
    status: SeatStatus,
    mine: boolean,
    expiresAt: number | undefined,
    source: SeatChangeSource,
  ): SeatChange | undefined {
    const held = mine && status === 'HELD';
    const nextExpiry = held ? expiresAt : undefined;
    if (seat.status === status && seat.mine === mine && seat.expiresAt === nextExpiry) return undefined;
    const next: SeatView = { id: seat.id, row: seat.row, number: seat.number, status, mine, expiresAt: nextExpiry };
    this.byId.set(seat.id, next);
    return { scheduleId: this.scheduleId, seat: next, previous: seat, source };
  }
}
