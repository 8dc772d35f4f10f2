import type { EventId } from '../protocol/event-id.js';
import type { SeatStatus } from '../protocol/seat-events.js';

export type { SeatStatus };

export interface Layout {
  readonly rows: number;
  readonly seatsPerRow: number;
}

/** A seat as the store keeps it: who holds or reserved it, and until when a hold lasts. */
export interface SeatState {
  readonly id: number;
  readonly row: string;
  readonly number: number;
  readonly status: SeatStatus;
  /** Set while HELD or RESERVED. */
  readonly holder?: string;
  /** Epoch ms; set while HELD. */
  readonly expiresAt?: number;
}

export interface ScheduleState {
  readonly scheduleId: number;
  readonly seats: readonly SeatState[];
  /** The id of the last event already reflected in `seats`. */
  readonly lastEventId: EventId;
}

export const LIMITS = Object.freeze({
  maxRows: 702, // A..ZZ
  maxSeatsPerRow: 1000,
  maxSeats: 100_000,
});

/** Row labels A..Z, then AA, AB, ... like spreadsheet columns. */
export function rowLabel(index: number): string {
  let label = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) {
    label = String.fromCharCode(65 + ((n - 1) % 26)) + label;
  }
  return label;
}

/** Seat ids run 1..rows×seatsPerRow, row by row. */
export function seatPosition(layout: Layout, seatId: number): { row: string; number: number } {
  const index = seatId - 1;
  return { row: rowLabel(Math.floor(index / layout.seatsPerRow)), number: (index % layout.seatsPerRow) + 1 };
}

export function seatCount(layout: Layout): number {
  return layout.rows * layout.seatsPerRow;
}
