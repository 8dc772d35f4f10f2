import { beforeEach, describe, expect, it } from 'vitest';
import type { EventBus } from '../../src/bus/event-bus.js';
import { SeatError } from '../../src/seats/seat-error.js';
import { scheduleTopic } from '../../src/seats/seat-events.js';
import type { SeatStore } from '../../src/seats/seat-store.js';

export interface StoreFixture {
  store: SeatStore;
  bus: EventBus;
}

const T0 = Date.parse('2026-11-22T12:00:00Z');
const TTL = 60_000;

/** The SeatStore contract (src/seats/seat-store.ts), run by every backend. */
export function describeSeatStoreContract(name: string, create: () => Promise<StoreFixture>): void {
  describe(`SeatStore contract: ${name}`, () => {
    let store: SeatStore;
    let bus: EventBus;
    const S = 7;
    const holdCmd = (userId: string, seatIds: number[], now = T0, maxPerUser = 0) => ({
      scheduleId: S,
      userId,
      seatIds,
      now,
      ttlMs: TTL,
      maxPerUser,
    });
    const cmd = (userId: string, seatIds: number[], now = T0) => ({ scheduleId: S, userId, seatIds, now });
    const history = async () => {
      const read = await bus.readAfter(scheduleTopic(S), {
        offset: 0,
        epoch: (await bus.head(scheduleTopic(S))).epoch,
      });
      if (read.kind !== 'events') throw new Error('history unavailable');
      return read.events.map((e) => JSON.parse(e.data) as { scheduleSeatId: number; status: string });
    };
    const refusal = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SeatError);
      return error as SeatError;
    };

    beforeEach(async () => {
      ({ store, bus } = await create());
      expect(await store.createSchedule(S, { rows: 3, seatsPerRow: 4 })).toBe('created');
    });

    it('creates a schedule idempotently, and refuses another layout', async () => {
      expect(await store.createSchedule(S, { rows: 3, seatsPerRow: 4 })).toBe('unchanged');
      expect((await refusal(store.createSchedule(S, { rows: 4, seatsPerRow: 3 }))).code).toBe('LAYOUT_CONFLICT');
      const state = await store.state(S);
      expect(state.seats).toHaveLength(12);
      expect(state.seats[4]).toEqual({ id: 5, row: 'B', number: 1, status: 'AVAILABLE' });
      expect(state.lastEventId.offset).toBe(0);
      expect(await store.exists(S)).toBe(true);
      expect(await store.exists(S + 1)).toBe(false);
      expect((await refusal(store.state(S + 1))).code).toBe('SCHEDULE_NOT_FOUND');
    });

    it('holds all or nothing, and writes one event per changed seat with contiguous offsets', async () => {
      const result = await store.hold(holdCmd('alice', [1, 2]));
      expect(result.events).toBe(2);
      expect(result.eventId.offset).toBe(2);
      expect(result.seats.map((s) => [s.id, s.status, s.holder, s.expiresAt])).toEqual([
        [1, 'HELD', 'alice', T0 + TTL],
        [2, 'HELD', 'alice', T0 + TTL],
      ]);
      const refused = await refusal(store.hold(holdCmd('bob', [3, 2, 1])));
      expect(refused.code).toBe('SEATS_UNAVAILABLE');
      expect(refused.seatIds).toEqual([2, 1]);
      const state = await store.state(S);
      expect(state.seats[2]!.status).toBe('AVAILABLE');
      expect(state.lastEventId.offset).toBe(2);
      expect(await history()).toEqual([
        expect.objectContaining({ scheduleSeatId: 1, status: 'HELD' }),
        expect.objectContaining({ scheduleSeatId: 2, status: 'HELD' }),
      ]);
    });

    it('names unknown seats and changes nothing', async () => {
      const refused = await refusal(store.hold(holdCmd('alice', [1, 13, 99])));
      expect(refused.code).toBe('SEAT_NOT_FOUND');
      expect(refused.seatIds).toEqual([13, 99]);
      expect((await store.state(S)).lastEventId.offset).toBe(0);
      expect((await refusal(store.hold({ ...holdCmd('alice', [1]), scheduleId: 999 }))).code).toBe(
        'SCHEDULE_NOT_FOUND',
      );
    });

    it('treats a repeated hold as success without an event or an extension', async () => {
      await store.hold(holdCmd('alice', [1]));
      const again = await store.hold(holdCmd('alice', [1, 2], T0 + 1000));
      expect(again.events).toBe(1);
      expect(again.seats.map((s) => s.expiresAt)).toEqual([T0 + TTL, T0 + 1000 + TTL]);
      const same = await store.hold(holdCmd('alice', [1, 2], T0 + 2000));
      expect(same.events).toBe(0);
      expect(same.eventId.offset).toBe(2);
    });

    it('enforces the per-user limit', async () => {
      await store.hold(holdCmd('alice', [1, 2], T0, 3));
      expect((await refusal(store.hold(holdCmd('alice', [3, 4], T0, 3)))).code).toBe('HOLD_LIMIT');
      expect((await store.hold(holdCmd('alice', [1, 3], T0, 3))).events).toBe(1);
      expect((await store.hold(holdCmd('bob', [4, 5, 6], T0, 3))).events).toBe(3);
    });

    it('lets only the holder release or reserve', async () => {
      await store.hold(holdCmd('alice', [1, 2]));
      const notYours = await refusal(store.release(cmd('bob', [1])));
      expect(notYours.code).toBe('NOT_YOUR_HOLD');
      expect(notYours.seatIds).toEqual([1]);
      expect((await refusal(store.reserve(cmd('bob', [2])))).code).toBe('NOT_YOUR_HOLD');
      expect((await refusal(store.release(cmd('alice', [1, 3])))).code).toBe('NOT_HELD');
      const reserved = await store.reserve(cmd('alice', [1]));
      expect(reserved.seats[0]).toMatchObject({ id: 1, status: 'RESERVED', holder: 'alice' });
      expect(reserved.seats[0]!.expiresAt).toBeUndefined();
      expect((await store.reserve(cmd('alice', [1]))).events).toBe(0);
      expect((await refusal(store.reserve(cmd('bob', [1])))).code).toBe('SEATS_UNAVAILABLE');
      expect((await refusal(store.hold(holdCmd('bob', [1])))).code).toBe('SEATS_UNAVAILABLE');
      const released = await store.release(cmd('alice', [2]));
      expect(released.seats[0]).toEqual({ id: 2, row: 'A', number: 2, status: 'AVAILABLE' });
      expect((await history()).map((e) => [e.scheduleSeatId, e.status])).toEqual([
        [1, 'HELD'],
        [2, 'HELD'],
        [1, 'RESERVED'],
        [2, 'AVAILABLE'],
      ]);
    });

    it('expires a due hold exactly once, whether by sweep or by the next mutation', async () => {
      await store.hold(holdCmd('alice', [1]));
      await store.hold(holdCmd('alice', [2], T0 + 10_000));
      expect(await store.expireDue(T0 + TTL - 1)).toBe(0);
      expect(await store.expireDue(T0 + TTL)).toBe(1);
      expect(await store.expireDue(T0 + TTL)).toBe(0);
      // Seat 2 is due at T0+10s+TTL; the next mutation expires it before its own checks.
      const bobs = await store.hold(holdCmd('bob', [2], T0 + 10_000 + TTL));
      expect(bobs.seats[0]).toMatchObject({ status: 'HELD', holder: 'bob' });
      expect(await store.expireDue(T0 + 10_000 + TTL)).toBe(0);
      expect((await refusal(store.reserve(cmd('alice', [1], T0 + TTL + 1)))).code).toBe('NOT_HELD');
      expect((await history()).map((e) => [e.scheduleSeatId, e.status])).toEqual([
        [1, 'HELD'],
        [2, 'HELD'],
        [1, 'AVAILABLE'],
        [2, 'AVAILABLE'],
        [2, 'HELD'],
      ]);
    });

    it('keeps state and events in step under concurrent holds of one seat', async () => {
      const attempts = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => store.hold(holdCmd(`user${i}`, [6]))),
      );
      expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
      const state = await store.state(S);
      expect(state.lastEventId.offset).toBe(1);
      expect(await history()).toEqual([expect.objectContaining({ scheduleSeatId: 6, status: 'HELD' })]);
    });
  });
}
