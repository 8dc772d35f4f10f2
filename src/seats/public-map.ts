import { encodeCompactRuns } from '../protocol/compact-map.js';
import type { EventId } from '../protocol/event-id.js';
import { type PublicSeat, SEAT_STATUSES } from '../protocol/seat-events.js';
import type { ScheduleState } from './seat.js';

/** The fields of a `PublicSeat`, in its order: what `JSON.stringify` keeps of a stored seat. */
const PUBLIC_FIELDS: string[] = ['id', 'row', 'number', 'status'] satisfies (keyof PublicSeat)[];

/**
 * Seats serialized per turn of the event loop by `build`: all 100,000 of an arena at once take
 * 40–70 ms, during which no request is answered and no live event written.
 */
const SEATS_PER_TURN = 10_000;

/**
 * A schedule's seat map as anyone may see it, serialized once: the JSON array of
 * `GET …/seats`, which is also the `seats` of a snapshot (byte for byte what `JSON.stringify` of
 * `publicSeat`s writes). It remembers which seats each holder has, so that a holder's own view (its
 * seats marked `mine`, its holds with `expiresAt`) is these bytes with those few seats replaced,
 * never a second serialization of the whole map. The compact snapshot's runs (protocol/compact-map.ts)
 * are made beside it, at about 2 % of its size and a tenth of its time (100,000 seats: 107 KB in
 * 2–3 ms), rather than keeping megabytes of seat objects to make them only when asked.
 */
export class PublicMap {
  /** The JSON array. */
  readonly bytes: Buffer;
  /** The seats as the compact snapshot's `runs` (JSON text). */
  readonly compactRuns: string;
  readonly scheduleId: number;
  /** The last event reflected in the map. */
  readonly id: EventId;
  /** Per holder, its seats in map order: seat id, then the hold's expiry (NaN: reserved). */
  private readonly holders = new Map<string, number[]>();

  /**
   * The map of `state`, serialized a slice of seats per turn of the event loop (the same bytes as
   * one `JSON.stringify`: an array's elements joined by commas). A slice whose public fields are
   * the same as in `previous` (the schedule's map at an earlier offset) is copied from its bytes
   * instead: a map at a new offset then costs the slices its changes touched, not 100,000 seats.
   */
  static async build(state: ScheduleState, previous?: PublicMap): Promise<PublicMap> {
    const { seats } = state;
    if (seats.length <= SEATS_PER_TURN) return new PublicMap(state);
    const slices = new Slices(seats);
    const before = previous?.scheduleId === state.scheduleId ? previous : undefined;
    const parts: Buffer[] = [OPEN];
    let length = OPEN.length;
    let serialized = false;
    for (let at = 0, slice = 0; at < seats.length; at += SEATS_PER_TURN, slice++) {
      if (at > 0) {
        parts.push(COMMA);
        length += COMMA.length;
      }
      const end = Math.min(at + SEATS_PER_TURN, seats.length);
      let part: Buffer;
      if (before?.slices?.sameAs(slices, at, end))
        part = before.bytes.subarray(before.slices.starts[slice], before.slices.ends[slice]);
      else {
        if (serialized) await new Promise(setImmediate);
        serialized = true;
        part = Buffer.from(JSON.stringify(seats.slice(at, end), PUBLIC_FIELDS).slice(1, -1));
      }
      parts.push(part);
      slices.starts.push(length);
      length += part.length;
      slices.ends.push(length);
    }
    parts.push(CLOSE);
    return new PublicMap(state, Buffer.concat(parts, length + CLOSE.length), slices);
  }

  /** `bytes`: the seats already serialized (`build`); else serialized here, at once. */
  constructor(
    state: ScheduleState,
    bytes?: Buffer,
    /** A big map's slices, for the next map of the schedule to reuse. */
    private readonly slices?: Slices,
  ) {
    this.scheduleId = state.scheduleId;
    this.id = state.lastEventId;
    // The key list leaves out the holder (and whatever else a store keeps) without a copy per seat.
    this.bytes = bytes ?? Buffer.from(JSON.stringify(state.seats, PUBLIC_FIELDS));
    this.compactRuns = encodeCompactRuns(state.seats);
    for (const seat of state.seats) {
      if (seat.holder === undefined) continue;
      const seats = this.holders.get(seat.holder);
      const expiresAt = seat.expiresAt ?? Number.NaN;
      if (seats) seats.push(seat.id, expiresAt);
      else this.holders.set(seat.holder, [seat.id, expiresAt]);
    }
  }

  /** Whether `userId` holds or reserved any seat here (only then does its view differ). */
  hasSeatsOf(userId: string): boolean {
    return this.holders.has(userId);
  }

  /**
   * Heap kept besides `bytes`, roughly (measured: bench/map-cost.ts): the holders and their seats,
   * and a big map's slices.
   */
  get extraBytes(): number {
    let bytes = this.slices?.bytes ?? 0;
    for (const [holder, seats] of this.holders) bytes += 200 + 2 * holder.length + 8 * seats.length;
    return bytes;
  }

  /**
   * The map as `userId` sees it: its own seats marked `mine: true`, its holds with `expiresAt`
   * (the fields of the route's answers, after the public ones). Each seat is found in the bytes
   * by its `{"id":N,` (ids are unique, and no row label contains that text), searching on from
   * the previous one.
   */
  viewOf(userId: string): Buffer {
    const seats = this.holders.get(userId);
    if (!seats) return this.bytes;
    const parts: Buffer[] = [];
    let at = 0;
    for (let i = 0; i < seats.length; i += 2) {
      const start = this.bytes.indexOf(`{"id":${seats[i]},`, at);
      const end = this.bytes.indexOf('}', start); // seats are flat objects
      const expiresAt = seats[i + 1]!;
      const expiry = Number.isNaN(expiresAt) ? '' : `,"expiresAt":"${new Date(expiresAt).toISOString()}"`;
      parts.push(this.bytes.subarray(at, end), Buffer.from(`,"mine":true${expiry}`));
      at = end;
    }
    parts.push(this.bytes.subarray(at));
    return Buffer.concat(parts);
  }
}

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');
const STATUS_CODES = new Map(SEAT_STATUSES.map((status, code) => [status, code]));

/**
 * A big map's slices of `SEATS_PER_TURN` seats: where each lies in the map's bytes, and the public
 * fields of every seat (as typed arrays, about 25 bytes a seat) to tell whether a later map's slice
 * would serialize to the same bytes.
 */
class Slices {
  /** Byte offsets in the map's bytes where each slice's elements begin and end. */
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  private readonly ids: Float64Array;
  private readonly numbers: Float64Array;
  private readonly rows: string[];
  private readonly statuses: Uint8Array;

  constructor(seats: ScheduleState['seats']) {
    const count = seats.length;
    this.ids = new Float64Array(count);
    this.numbers = new Float64Array(count);
    this.rows = new Array<string>(count);
    this.statuses = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const seat = seats[i]!;
      this.ids[i] = seat.id;
      this.numbers[i] = seat.number;
      this.rows[i] = seat.row;
      this.statuses[i] = STATUS_CODES.get(seat.status)!;
    }
  }

  get bytes(): number {
    return this.ids.length * 25;
  }

  /** Whether seats `from`..`to` of `next` have the same public fields as here. */
  sameAs(next: Slices, from: number, to: number): boolean {
    if (next.ids.length !== this.ids.length) return false;
    for (let i = from; i < to; i++) {
      if (
        next.statuses[i] !== this.statuses[i] ||
        next.ids[i] !== this.ids[i] ||
        next.numbers[i] !== this.numbers[i] ||
        next.rows[i] !== this.rows[i]
      )
        return false;
    }
    return true;
  }
}
