import { describe, expect, it } from 'vitest';
import { Backoff, ScheduleSeatMap, parseEventId, type EventId, type SeatEventData } from '../../src/client/index.js';

const id = (text: string): EventId => parseEventId(text)!;
const seats = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: i + 1, row: 'A', number: i + 1, status: 'AVAILABLE' as const }));
const event = (seat: number, status: SeatEventData['status']): SeatEventData => ({
  scheduleId: 1,
  scheduleSeatId: seat,
  status,
  timestamp: '2026-11-22T12:00:00.000Z',
  isHeartbeat: false,
});

describe('ScheduleSeatMap', () => {
  it('applies a snapshot, then events in id order; ignores ids already applied', () => {
    const map = new ScheduleSeatMap(1);
    expect(map.applyEvent(id('1@e'), event(1, 'HELD'))).toEqual({ kind: 'no-map' });
    map.applySnapshot(id('2@e'), { scheduleId: 1, seats: seats(3) });
    expect(map.applyEvent(id('2@e'), event(1, 'HELD'))).toEqual({ kind: 'duplicate' });
    const applied = map.applyEvent(id('3@e'), event(1, 'HELD'));
    expect(applied).toMatchObject({
      kind: 'applied',
      change: { seat: { id: 1, status: 'HELD', mine: false }, previous: { status: 'AVAILABLE' }, source: 'stream' },
    });
    expect(map.applyEvent(id('3@e'), event(1, 'AVAILABLE'))).toEqual({ kind: 'duplicate' });
    expect(map.get(1)!.status).toBe('HELD');
    expect(map.applyEvent(id('5@e'), event(2, 'HELD'))).toEqual({ kind: 'gap', expected: 4 });
    expect(map.applyEvent(id('4@other'), event(2, 'HELD'))).toEqual({ kind: 'stale-epoch' });
    expect(map.eventId).toEqual(id('3@e'));
  });

  it('keeps my own answer against older stream events, and follows the stream once it caught up', () => {
    const map = new ScheduleSeatMap(1);
    map.applySnapshot(id('0@e'), { scheduleId: 1, seats: seats(3) });
    const changes = map.applyResult({
      scheduleId: 1,
      status: 'HELD',
      seats: [
        { id: 2, row: 'A', number: 2, status: 'HELD', mine: true, expiresAt: '2026-11-22T12:05:00.000Z' },
        { id: 3, row: 'A', number: 3, status: 'HELD', mine: true, expiresAt: '2026-11-22T12:05:00.000Z' },
      ],
      expiresAt: '2026-11-22T12:05:00.000Z',
      eventId: '3@e',
      events: 2,
    });
    expect(changes.map((c) => [c.seat.id, c.seat.status, c.seat.mine, c.source])).toEqual([
      [2, 'HELD', true, 'response'],
      [3, 'HELD', true, 'response'],
    ]);
    expect(map.myHolds().map((s) => s.id)).toEqual([2, 3]);
    // Someone else's event 1 (seat 2 was theirs first, then released) arrives after my answer.
    expect(map.applyEvent(id('1@e'), event(2, 'AVAILABLE'))).toEqual({ kind: 'applied', change: undefined });
    expect(map.applyEvent(id('2@e'), event(2, 'HELD'))).toEqual({ kind: 'applied', change: undefined });
    expect(map.applyEvent(id('3@e'), event(3, 'HELD'))).toEqual({ kind: 'applied', change: undefined });
    expect(map.get(2)).toMatchObject({ status: 'HELD', mine: true, expiresAt: Date.parse('2026-11-22T12:05:00.000Z') });
    // Later events apply: my seat reserved stays mine; released is no one's.
    expect(map.applyEvent(id('4@e'), event(2, 'RESERVED'))).toMatchObject({
      change: { seat: { status: 'RESERVED', mine: true, expiresAt: undefined } },
    });
    expect(map.applyEvent(id('5@e'), event(3, 'AVAILABLE'))).toMatchObject({
      change: { seat: { status: 'AVAILABLE', mine: false } },
    });
  });

  it('keeps my seats across a snapshot of the same epoch when their status held, drops them otherwise', () => {
    const map = new ScheduleSeatMap(1);
    map.applySnapshot(id('0@e'), { scheduleId: 1, seats: seats(3) });
    map.applyResult({
      scheduleId: 1,
      status: 'HELD',
      seats: [1, 2].map((n) => ({
        id: n,
        row: 'A',
        number: n,
        status: 'HELD' as const,
        mine: true as const,
        expiresAt: '2999-01-01T00:00:00.000Z',
      })),
      eventId: '2@e',
      events: 2,
    });
    const next = seats(3);
    next[0]!.status = 'HELD' as never; // still held: mine
    map.applySnapshot(id('9@e'), { scheduleId: 1, seats: next }); // seat 2 expired meanwhile
    expect([map.get(1)!.mine, map.get(2)!.mine, map.get(2)!.status]).toEqual([true, false, 'AVAILABLE']);
    // A new epoch: nothing is known any more.
    map.applySnapshot(id('0@f'), { scheduleId: 1, seats: next });
    expect(map.get(1)!.mine).toBe(false);
  });

  it('learns my seats from GET …/seats without undoing a newer hold of mine', () => {
    const map = new ScheduleSeatMap(1);
    map.applySnapshot(id('4@e'), {
      scheduleId: 1,
      seats: [1, 2, 3].map((n) => ({ id: n, row: 'A', number: n, status: 'HELD' as const })),
    });
    map.applyResult({
      scheduleId: 1,
      status: 'HELD',
      seats: [{ id: 3, row: 'A', number: 3, status: 'HELD', mine: true }],
      eventId: '5@e',
      events: 1,
    });
    const changes = map.applyMine({
      lastEventId: '4@e',
      seats: [
        { id: 1, row: 'A', number: 1, status: 'HELD', mine: true, expiresAt: '2999-01-01T00:00:00.000Z' },
        { id: 2, row: 'A', number: 2, status: 'HELD' },
        { id: 3, row: 'A', number: 3, status: 'AVAILABLE' },
      ],
    });
    expect(changes.map((c) => [c.seat.id, c.seat.mine, c.source])).toEqual([[1, true, 'sync']]);
    expect(map.get(3)!.mine).toBe(true);
  });

  it('keeps a hold of mine when the stream caught up with it before an older GET …/seats arrived', () => {
    const map = new ScheduleSeatMap(1);
    map.applySnapshot(id('4@e'), { scheduleId: 1, seats: seats(3) });
    map.applyResult({
      scheduleId: 1,
      status: 'HELD',
      seats: [{ id: 2, row: 'A', number: 2, status: 'HELD', mine: true }],
      eventId: '5@e',
      events: 1,
    });
    expect(map.applyEvent(id('5@e'), event(2, 'HELD')).kind).toBe('applied'); // the stream caught up
    // The sync's GET was answered at 4@e, before the hold, and arrives only now.
    const stale = map.applyMine({ lastEventId: '4@e', seats: seats(3) });
    expect(stale).toEqual([]);
    expect(map.get(2)).toMatchObject({ status: 'HELD', mine: true });
    // A sync answered after the hold, which no longer lists it as mine, is believed.
    map.applyMine({ lastEventId: '6@e', seats: seats(3) });
    expect(map.get(2)!.mine).toBe(false);
  });
});

describe('Backoff', () => {
  it('draws each delay uniformly from a window that doubles up to the cap (full jitter)', () => {
    const backoff = new Backoff({ baseMs: 100, capMs: 1000, random: () => 0.999 });
    expect([1, 2, 3, 4, 5, 6, 40].map((n) => backoff.windowMs(n))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    expect([1, 2, 5].map((n) => backoff.delayMs(n))).toEqual([99, 199, 999]);
    expect(new Backoff({ baseMs: 100, random: () => 0 }).delayMs(7)).toBe(0);
    const spread = new Set(Array.from({ length: 200 }, () => new Backoff({ baseMs: 1000 }).delayMs(1)));
    expect(spread.size).toBeGreaterThan(100);
    expect(Math.max(...spread)).toBeLessThan(1000);
    expect(() => new Backoff({ baseMs: 0 })).toThrow(RangeError);
  });
  it("a checkout's answer makes its seats mine though it does not say so; logout forgets mine", () => {
    const map = new ScheduleSeatMap(1);
    map.applySnapshot(id('2@e'), { scheduleId: 1, seats: seats(3) });
    map.applyResult({
      scheduleId: 1,
      status: 'HELD',
      seats: [{ id: 1, row: 'A', number: 1, status: 'HELD', mine: true, expiresAt: '2999-01-01T00:00:00.000Z' }],
      eventId: '3@e',
      events: 1,
    });
    // An operator's checkout passing on the service's answer: seats with a holder, no `mine`.
    const answer = {
      scheduleId: 1,
      status: 'RESERVED' as const,
      seats: [{ id: 1, row: 'A', number: 1, status: 'RESERVED' as const, holder: 'guest-1' }],
      eventId: '4@e',
      events: 1,
    };
    const changes = map.applyResult(answer, { mine: true });
    expect(changes.map((c) => [c.seat.id, c.seat.status, c.seat.mine, c.seat.expiresAt])).toEqual([
      [1, 'RESERVED', true, undefined],
    ]);
    // Without the option, an answer that does not say `mine` is someone else's.
    expect(map.applyResult({ ...answer, eventId: '5@e' })[0]!.seat.mine).toBe(false);
    map.applyResult({ ...answer, eventId: '6@e' }, { mine: true });
    // My answer stays ahead of older stream events after a logout too; only `mine` goes.
    expect(map.forgetMine().map((c) => [c.seat.id, c.seat.status, c.seat.mine, c.source])).toEqual([
      [1, 'RESERVED', false, 'sync'],
    ]);
    expect(map.forgetMine()).toEqual([]);
    expect(map.applyEvent(id('3@e'), event(1, 'HELD'))).toEqual({ kind: 'applied', change: undefined });
    expect(map.get(1)!.status).toBe('RESERVED');
  });
});
