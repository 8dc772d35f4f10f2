/**
 * The `data:` of what a seat stream carries, as the browser client of the original design reads
 * it (`onmessage`, `JSON.parse`, an `isHeartbeat` check), with the encoders the server uses.
 * Encoders build the JSON text directly: an event is encoded once and its bytes written to every
 * subscriber, and the Redis scripts build byte-identical text (a contract test compares them).
 */

export type SeatStatus = 'AVAILABLE' | 'HELD' | 'RESERVED';

export const SEAT_STATUSES: readonly SeatStatus[] = ['AVAILABLE', 'HELD', 'RESERVED'];

export function isSeatStatus(value: unknown): value is SeatStatus {
  return value === 'AVAILABLE' || value === 'HELD' || value === 'RESERVED';
}

/** A seat as anyone may see it: who holds it stays private. */
export interface PublicSeat {
  id: number;
  row: string;
  number: number;
  status: SeatStatus;
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
  seats: PublicSeat[];
}

/** `data:` of an `event: error` the server writes before it ends a stream. */
export interface StreamErrorData {
  error: string;
  message: string;
}

export function encodeSeatEvent(scheduleId: number, seatId: number, status: SeatStatus, at: number): string {
  const timestamp = new Date(at).toISOString();
  const seat = `"scheduleId":${scheduleId},"scheduleSeatId":${seatId},"status":"${status}"`;
  return `{${seat},"timestamp":"${timestamp}","isHeartbeat":false}`;
}

export function encodeHeartbeat(at: Date): string {
  return `{"scheduleSeatId":-1,"status":null,"timestamp":"${at.toISOString()}","isHeartbeat":true}`;
}

export function encodeSnapshot(scheduleId: number, seats: readonly PublicSeat[]): string {
  const [before, after] = snapshotDataAround(scheduleId);
  return `${before}${JSON.stringify(seats)}${after}`;
}

/** What a snapshot's data has before and after its seats: for seats serialized as bytes, not copied as text. */
export function snapshotDataAround(scheduleId: number): [before: string, after: string] {
  return [`{"scheduleId":${scheduleId},"seats":`, '}'];
}
