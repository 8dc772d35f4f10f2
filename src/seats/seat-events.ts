import type { SeatState, SeatStatus } from './seat.js';

/** The topic that carries one schedule's seat events. */
export function scheduleTopic(scheduleId: number): string {
  return `schedule:${scheduleId}`;
}

export function scheduleIdOfTopic(topic: string): number {
  return Number(topic.slice('schedule:'.length));
}

/**
 * A seat event as the browser client of the original design reads it (`onmessage`, JSON.parse,
 * `isHeartbeat` check): one seat per event.
 */
export function seatEventData(scheduleId: number, seatId: number, status: SeatStatus, at: number): string {
  return `{"scheduleId":${scheduleId},"scheduleSeatId":${seatId},"status":"${status}","timestamp":"${new Date(at).toISOString()}","isHeartbeat":false}`;
}

/** The public view of a seat: who holds it stays private. */
export function publicSeat(seat: SeatState): { id: number; row: string; number: number; status: SeatStatus } {
  return { id: seat.id, row: seat.row, number: seat.number, status: seat.status };
}

export function snapshotData(scheduleId: number, seats: readonly SeatState[]): string {
  return JSON.stringify({ scheduleId, seats: seats.map(publicSeat) });
}
