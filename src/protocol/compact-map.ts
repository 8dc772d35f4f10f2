/**
 * The compact form of a snapshot (`?snapshotForm=compact`, docs/api.md#sse-wire-format): the seats
 * as runs, each a stretch of seats that follow one another in map order in one row, with ids and
 * numbers each one more than the seat before, and their statuses one character per seat. A
 * 100,000-seat map is about 100 KB instead of 5.5 MB of repeated field names; any list of seats
 * round-trips (gaps, ids out of order, any row label), since a seat that does not continue the
 * run before it starts a new one. Each run stands alone, so a streaming parser can hand out its
 * seats as soon as it is read. Server and client both use this file.
 */
import { isSeatStatus, type PublicSeat, type SeatStatus } from './seat-events.js';

/** The `form` of a compact snapshot's data (a full snapshot has none). */
export const COMPACT_FORM = 'compact';

/** `[row, id of its first seat, number of its first seat, one status character per seat]`. */
export type CompactRun = [row: string, id: number, number: number, statuses: string];

/** `data:` of a compact `event: snapshot`. */
export interface CompactSnapshotData {
  scheduleId: number;
  form: typeof COMPACT_FORM;
  runs: CompactRun[];
}

/** Status characters as bytes: one byte per seat, cut into a string per run (cheaper than adding characters). */
const A = 65;
const H = 72;
const R = 82;
const STATUS_OF: Readonly<Record<string, SeatStatus>> = { A: 'AVAILABLE', H: 'HELD', R: 'RESERVED' };
const latin1 = new TextDecoder('latin1');

function codeOf(status: SeatStatus): number {
  if (status === 'AVAILABLE') return A;
  if (status === 'HELD') return H;
  if (status === 'RESERVED') return R;
  throw new TypeError(`No compact code for seat status ${String(status)}`);
}

/** The JSON text of `seats` as runs (the `runs` of a compact snapshot). */
export function encodeCompactRuns(seats: readonly PublicSeat[]): string {
  const codes = new Uint8Array(seats.length);
  const runs: string[] = [];
  let head = '';
  let start = 0;
  let row: string | undefined;
  let firstId = Number.NaN;
  let firstNumber = Number.NaN;
  for (let i = 0; i < seats.length; i++) {
    const seat = seats[i]!;
    codes[i] = codeOf(seat.status);
    // Continuity as the decoder computes it (first + offset), so that no number is rounded otherwise.
    const at = i - start;
    if (seat.row !== row || seat.id !== firstId + at || seat.number !== firstNumber + at) {
      if (row !== undefined) runs.push(`${head}"${latin1.decode(codes.subarray(start, i))}"]`);
      row = seat.row;
      firstId = seat.id;
      firstNumber = seat.number;
      head = `[${JSON.stringify(row)},${firstId},${firstNumber},`;
      start = i;
    }
  }
  if (row !== undefined) runs.push(`${head}"${latin1.decode(codes.subarray(start))}"]`);
  return `[${runs.join(',')}]`;
}

/** A compact snapshot's data around runs already encoded (made once for many readers). */
export function encodeCompactSnapshotOf(scheduleId: number, runsJson: string): string {
  return `{"scheduleId":${scheduleId},"form":"${COMPACT_FORM}","runs":${runsJson}}`;
}

export function encodeCompactSnapshot(scheduleId: number, seats: readonly PublicSeat[]): string {
  return encodeCompactSnapshotOf(scheduleId, encodeCompactRuns(seats));
}

/** Whether a snapshot's parsed data is the compact form (else it carries `seats`). */
export function isCompactSnapshot(data: unknown): data is CompactSnapshotData {
  return typeof data === 'object' && data !== null && (data as { form?: unknown }).form === COMPACT_FORM;
}

/** The seats of `runs`, in map order, as the full form lists them; undefined if any run is malformed. */
export function decodeCompactRuns(runs: unknown): PublicSeat[] | undefined {
  if (!Array.isArray(runs)) return undefined;
  const seats: PublicSeat[] = [];
  for (const run of runs) {
    if (!Array.isArray(run) || run.length !== 4) return undefined;
    const [row, id, number, statuses] = run as unknown[];
    if (typeof row !== 'string' || typeof statuses !== 'string') return undefined;
    if (!Number.isSafeInteger(id) || typeof number !== 'number' || !Number.isFinite(number)) return undefined;
    for (let i = 0; i < statuses.length; i++) {
      const status = STATUS_OF[statuses[i]!];
      if (!isSeatStatus(status)) return undefined;
      seats.push({ id: (id as number) + i, row, number: number + i, status });
    }
  }
  return seats;
}
