import { describe, expect, it } from 'vitest';
import {
  decodeCompactRuns,
  encodeCompactRuns,
  encodeCompactSnapshot,
  isCompactSnapshot,
} from '../../src/protocol/compact-map.js';
import { encodeSnapshot, type PublicSeat, type SeatStatus } from '../../src/protocol/seat-events.js';
import { seatPosition } from '../../src/seats/seat.js';

const STATUSES: SeatStatus[] = ['AVAILABLE', 'HELD', 'RESERVED'];

/** Seats from `[id, row, number]`, statuses taking turns. */
function seats(list: Array<[number, string, number]>): PublicSeat[] {
  return list.map(([id, row, number], i) => ({ id, row, number, status: STATUSES[i % 3]! }));
}

/** What a client gets back from the wire: the JSON text parsed, then decoded. */
function roundTrip(list: readonly PublicSeat[]): PublicSeat[] | undefined {
  const data: unknown = JSON.parse(encodeCompactSnapshot(4, list));
  expect(isCompactSnapshot(data)).toBe(true);
  return decodeCompactRuns((data as { runs: unknown }).runs);
}

/** A rectangular layout, as `PUT /api/schedules/:id` makes it, with statuses from `status(id)`. */
function layout(rows: number, seatsPerRow: number, status: (id: number) => SeatStatus): PublicSeat[] {
  return Array.from({ length: rows * seatsPerRow }, (_, i) => ({
    id: i + 1,
    ...seatPosition({ rows, seatsPerRow }, i + 1),
    status: status(i + 1),
  }));
}

describe('the compact snapshot form', () => {
  it('is one run per row of a rectangular layout, statuses one character per seat', () => {
    const map = layout(2, 3, (id) => (id === 2 ? 'HELD' : id === 6 ? 'RESERVED' : 'AVAILABLE'));
    expect(encodeCompactSnapshot(1, map)).toBe(
      '{"scheduleId":1,"form":"compact","runs":[["A",1,1,"AHA"],["B",4,1,"AAR"]]}',
    );
    expect(roundTrip(map)).toEqual(map);
  });

  it('round-trips gaps in numbers, ids out of order or apart, rows met twice, any number', () => {
    const odd = seats([
      [10, 'A', 1],
      [11, 'A', 2],
      [12, 'A', 4], // a gap in numbers: a new run in the same row
      [13, 'A', 5],
      [20, 'A', 6], // a gap in ids
      [7, 'A', 7], // ids going down
      [6, 'A', 8],
      [14, 'B', 0], // number 0, then negative and fractional ones
      [15, 'B', -3],
      [16, 'B', 2.5],
      [17, 'B', 3.5],
      [18, 'A', 9], // back to row A after B
      [19, 'A', 9], // the same number twice
      [2_147_483_647, 'C', 1_000_000],
    ]);
    expect(roundTrip(odd)).toEqual(odd);
    // Numbers whose sums round differently ((⅓ + 1) + 1 ≠ ⅓ + 2) still come back exactly.
    const third = 1 / 3;
    const floats = seats([
      [1, 'F', third],
      [2, 'F', third + 1],
      [3, 'F', third + 1 + 1],
      [4, 'F', third + 3],
    ]);
    expect(roundTrip(floats)).toEqual(floats);
  });

  it('round-trips row labels that need JSON escapes or are not ASCII', () => {
    const labels = ['"', '\\', 'Row "7"\n', '\u0000\u001f', '</script>', 'Ω', '🎭', 'Rang 1\u2028', '', ' A '];
    const map = labels.flatMap((row, r) =>
      [1, 2, 3].map((number): PublicSeat => ({ id: r * 3 + number, row, number, status: 'AVAILABLE' })),
    );
    const text = encodeCompactSnapshot(4, map);
    // One data: line carries it: a line break in a label is escaped, never written as one.
    expect(text).not.toMatch(/[\n\r]/);
    expect(roundTrip(map)).toEqual(map);
    expect(JSON.parse(encodeCompactRuns(map))).toHaveLength(labels.length);
  });

  it('round-trips an empty map and a single seat', () => {
    expect(encodeCompactSnapshot(4, [])).toBe('{"scheduleId":4,"form":"compact","runs":[]}');
    expect(roundTrip([])).toEqual([]);
    const one = seats([[3, 'Z', 12]]);
    expect(roundTrip(one)).toEqual(one);
  });

  it('refuses malformed runs rather than guessing', () => {
    expect(decodeCompactRuns([['A', 1, 1, 'AX']])).toBeUndefined(); // an unknown status
    expect(decodeCompactRuns([['A', 1, 1]])).toBeUndefined();
    expect(decodeCompactRuns([['A', '1', 1, 'A']])).toBeUndefined();
    expect(decodeCompactRuns([[1, 1, 1, 'A']])).toBeUndefined();
    expect(decodeCompactRuns([['A', 1.5, 1, 'A']])).toBeUndefined();
    expect(decodeCompactRuns({ runs: [] })).toBeUndefined();
    expect(() => encodeCompactRuns([{ id: 1, row: 'A', number: 1, status: 'SOLD' as SeatStatus }])).toThrow(TypeError);
  });

  it('tells itself from the full form', () => {
    expect(isCompactSnapshot(JSON.parse(encodeSnapshot(1, seats([[1, 'A', 1]]))))).toBe(false);
    expect(isCompactSnapshot(null)).toBe(false);
  });

  it('carries a 100,000-seat arena in a fiftieth of the full form, all available or 45 % taken', () => {
    for (const taken of [0, 0.45]) {
      // Held and reserved seats spread around the arena (a fixed sequence, not Math.random).
      let x = 17;
      const arena = layout(400, 250, () => {
        x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
        const r = x / 2_147_483_648;
        return r < taken / 2 ? 'HELD' : r < taken ? 'RESERVED' : 'AVAILABLE';
      });
      const full = Buffer.byteLength(encodeSnapshot(7, arena));
      const started = performance.now();
      const compact = Buffer.byteLength(encodeCompactSnapshot(7, arena));
      const took = performance.now() - started;
      console.log(
        `100,000 seats, ${taken * 100} % taken: full ${full} bytes, compact ${compact} bytes ` +
          `(${(full / compact).toFixed(1)}x smaller), encoded in ${took.toFixed(1)} ms`,
      );
      expect(compact * 5).toBeLessThan(full);
      expect(compact).toBeLessThan(110_000);
      expect(roundTrip(arena)).toEqual(arena);
    }
  });
});
