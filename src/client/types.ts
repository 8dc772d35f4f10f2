/**
 * What travels on the wire (docs/api.md) and what the client hands to its callers. The client
 * has no runtime dependency on the server's code: these types are the contract.
 */

export type SeatStatus = 'AVAILABLE' | 'HELD' | 'RESERVED';

export const SEAT_STATUSES: readonly SeatStatus[] = ['AVAILABLE', 'HELD', 'RESERVED'];

export function isSeatStatus(value: unknown): value is SeatStatus {
  return value === 'AVAILABLE' || value === 'HELD' || value === 'RESERVED';
}

/** A seat as `GET …/seats` and the mutation responses return it. */
export interface Seat {
  id: number;
  row: string;
  number: number;
  status: SeatStatus;
  /** Only for the caller's own seats (with a session). */
  mine?: true;
  /** Only for the caller's own held seats: ISO time the hold expires. */
  expiresAt?: string;
}

/** A seat as the client's local map keeps it. */
export interface SeatView {
  readonly id: number;
  readonly row: string;
  readonly number: number;
  readonly status: SeatStatus;
  /** Held or reserved by this client's session, as far as the client knows. */
  readonly mine: boolean;
  /** When this client's hold expires (epoch ms); undefined unless `mine` and `HELD`. */
  readonly expiresAt: number | undefined;
}

/** `data:` of an unnamed seat event: one seat per event. */
export interface SeatEventData {
  scheduleId: number;
  scheduleSeatId: number;
  status: SeatStatus;
  timestamp: string;
  isHeartbeat: false;
}

/** `data:` of a heartbeat message (`HEARTBEAT_STYLE` `both` or `data`); it carries no `id:`. */
export interface HeartbeatData {
  scheduleSeatId: -1;
  status: null;
  timestamp: string;
  isHeartbeat: true;
}

/** `data:` of an `event: snapshot`; its `id:` is the last event reflected in it. */
export interface SnapshotData {
  scheduleId: number;
  seats: Array<{ id: number; row: string; number: number; status: SeatStatus }>;
}

/** `data:` of an `event: error` the server writes before it ends a stream. */
export interface StreamErrorData {
  error: string;
  message: string;
}

export type SeatOperation = 'hold' | 'release' | 'reserve';

/** The answer of hold / release / reserve. */
export interface SeatChangeResult {
  scheduleId: number;
  /** The operation's target status. */
  status: SeatStatus;
  /** The requested seats after the change. */
  seats: Seat[];
  /** hold only: the earliest expiry among the requested seats (ISO time). */
  expiresAt?: string;
  /** The last event written, or the schedule's head if none was. */
  eventId: string;
  /** How many events were written (one per changed seat). */
  events: number;
}

/** `POST /api/session`. */
export interface Session {
  userId: string;
  token: string;
  expiresAt: string;
}

/** `GET …/seats`: the map and the id of the last event reflected in it. */
export interface SeatsResponse {
  seats: Seat[];
  lastEventId: string | undefined;
}
