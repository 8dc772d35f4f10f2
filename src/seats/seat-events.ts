import type { PublicSeat } from '../protocol/seat-events.js';
import type { SeatState } from './seat.js';

/** The topic that carries one schedule's seat events. */
export function scheduleTopic(scheduleId: number): string {
  return `schedule:${scheduleId}`;
}

export function scheduleIdOfTopic(topic: string): number {
  return Number(topic.slice('schedule:'.length));
}

/** The public view of a seat: who holds it stays private. */
export function publicSeat(seat: SeatState): PublicSeat {
  return { id: seat.id, row: seat.row, number: seat.number, status: seat.status };
}
