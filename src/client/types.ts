/**
 * What the client hands to its callers and what the API's JSON answers hold. The stream's wire
 * shapes come from the protocol module the server encodes them with.
 */

import type { SeatStatus } from '../protocol/seat-events.js';

export { SEAT_STATUSES, isSeatStatus } from '../protocol/seat-events.js';
export type {
  SeatStatus,
  SeatEventData,
  HeartbeatData,
  SnapshotData,
  StreamErrorData,
} from '../protocol/seat-events.js';

/**
 * fetch's `credentials`: the DOM lib's `RequestCredentials`, spelled out so that the client's
 * types compile in a Node-only project too.
 */
export type FetchCredentials = 'omit' | 'same-origin' | 'include';

/** What the client needs of `fetch`: the global one (browsers, Node 18+) fits, or any compatible. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; credentials: FetchCredentials; body?: string },
) => Promise<FetchResponseLike>;

export interface FetchResponseLike {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
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

/**
 * A buyer's acts. Reserving is the service's act once the buyer paid; a buyer asks for it with
 * `checkout` (the demo's checkout route, or the operator's own, which calls the service's reserve).
 */
export type SeatOperation = 'hold' | 'release' | 'checkout';

/** The answer of hold / release / checkout. */
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
