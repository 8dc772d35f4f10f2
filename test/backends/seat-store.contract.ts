import { beforeEach, describe, expect, it } from 'vitest';
import type { BusEvent, EventBus } from '../../src/bus/event-bus.js';
import { DELETED_EVENT } from '../../src/protocol/sse-frames.js';
import { SeatError } from '../../src/seats/seat-error.js';
import { scheduleTopic } from '../../src/seats/seat-events.js';
import type { HoldNotice, SeatStore } from '../../src/seats/seat-store.js';

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

    it('lets only the holder release, and reserves only for the holder', async () => {
      await store.hold(holdCmd('alice', [1, 2]));
      const notYours = await refusal(store.release(cmd('bob', [1])));
      expect(notYours.code).toBe('NOT_YOUR_HOLD');
      expect(notYours.seatIds).toEqual([1]);
      expect((await refusal(store.reserveOrder({ ...cmd('bob', [2]), orderId: 'o-b' }))).code).toBe('NOT_HELD');
      expect((await refusal(store.release(cmd('alice', [1, 3])))).code).toBe('NOT_HELD');
      const reserved = await store.reserveOrder({ ...cmd('alice', [1]), orderId: 'o-a' });
      expect(reserved.seats[0]).toMatchObject({ id: 1, status: 'RESERVED', holder: 'alice' });
      expect(reserved.seats[0]!.expiresAt).toBeUndefined();
      expect((await store.reserveOrder({ ...cmd('alice', [1]), orderId: 'o-a' })).events).toBe(0);
      expect((await refusal(store.reserveOrder({ ...cmd('bob', [1]), orderId: 'o-c' }))).code).toBe('NOT_HELD');
      expect((await refusal(store.release(cmd('alice', [1])))).code).toBe('NOT_HELD');
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
      expect((await refusal(store.reserveOrder({ ...cmd('alice', [1], T0 + TTL + 1), orderId: 'o' }))).code).toBe(
        'NOT_HELD',
      );
      expect((await history()).map((e) => [e.scheduleSeatId, e.status])).toEqual([
        [1, 'HELD'],
        [2, 'HELD'],
        [1, 'AVAILABLE'],
        [2, 'AVAILABLE'],
        [2, 'HELD'],
      ]);
    });

    it('never lets a hold outlive the credential that made it (notAfter)', async () => {
      const bound = await store.hold({ ...holdCmd('alice', [1]), notAfter: T0 + 5_000 });
      expect(bound.seats[0]!.expiresAt).toBe(T0 + 5_000);
      const ttlFirst = await store.hold({ ...holdCmd('alice', [2]), notAfter: T0 + TTL + 5_000 });
      expect(ttlFirst.seats[0]!.expiresAt).toBe(T0 + TTL);
      expect(await store.expireDue(T0 + 4_999)).toBe(0);
      expect(await store.expireDue(T0 + 5_000)).toBe(1);
      expect((await store.state(S)).seats.slice(0, 2).map((s) => s.status)).toEqual(['AVAILABLE', 'HELD']);
    });

    it('cools a seat down for the user who released it, not for others, and not before a hold is held', async () => {
      const C = 30_000;
      await store.hold(holdCmd('alice', [1, 2]));
      await store.release({ ...cmd('alice', [1, 2], T0 + 1_000), cooldownMs: C });
      const cooling = await refusal(store.hold({ ...holdCmd('alice', [3, 1], T0 + 11_000), cooldownMs: C }));
      expect(cooling.code).toBe('HOLD_COOLDOWN');
      expect(cooling.seatIds).toEqual([1]);
      expect(cooling.retryAfterMs).toBe(20_000);
      expect((await store.state(S)).seats[2]!.status).toBe('AVAILABLE'); // all or nothing
      // Other users are not affected.
      expect((await store.hold(holdCmd('bob', [2], T0 + 11_000))).events).toBe(1);
      // Once it has passed, alice may hold seat 1 again.
      const again = await store.hold(holdCmd('alice', [1], T0 + 1_000 + C));
      expect(again.seats[0]).toMatchObject({ status: 'HELD', holder: 'alice' });
      // cooldownMs 0 (the default): no cool-down.
      await store.release(cmd('alice', [1], T0 + 40_000));
      expect((await store.hold(holdCmd('alice', [1], T0 + 40_000))).events).toBe(1);
    });

    it('cools a seat down after its hold expired, by the sweep or by a later mutation, from the expiry', async () => {
      const C = 30_000;
      await store.hold(holdCmd('alice', [1]));
      await store.hold(holdCmd('alice', [2], T0 + 10_000));
      // The sweep runs late; the cool-down counts from the hold's expiry, not from the sweep.
      expect(await store.expireDue(T0 + TTL + 5_000, C)).toBe(1);
      const swept = await refusal(store.hold(holdCmd('alice', [1], T0 + TTL + 6_000)));
      expect(swept.code).toBe('HOLD_COOLDOWN');
      expect(swept.retryAfterMs).toBe(C - 6_000);
      // Seat 2 is expired by alice's own next hold, which then refuses it.
      const mutated = await refusal(store.hold({ ...holdCmd('alice', [2, 1], T0 + 10_000 + TTL), cooldownMs: C }));
      expect(mutated.code).toBe('HOLD_COOLDOWN');
      expect(mutated.seatIds).toEqual([2, 1]);
      expect(mutated.retryAfterMs).toBe(C - 10_000); // the earliest: seat 1
      expect((await history()).map((e) => [e.scheduleSeatId, e.status])).toEqual([
        [1, 'HELD'],
        [2, 'HELD'],
        [1, 'AVAILABLE'],
        [2, 'AVAILABLE'],
      ]);
      expect((await store.hold(holdCmd('bob', [1, 2], T0 + 10_000 + TTL))).events).toBe(2);
      // Expiries in a mutation use the mutation's cool-down: none here.
      await store.hold(holdCmd('carol', [3]));
      await store.hold(holdCmd('dave', [4], T0 + 2 * TTL));
      expect((await store.hold(holdCmd('carol', [3], T0 + 2 * TTL))).events).toBe(1);
    });

    it('starts no cool-down when the service releases a hold or a reservation', async () => {
      await store.hold(holdCmd('alice', [1, 2]));
      await store.reserveOrder({ ...cmd('alice', [2]), orderId: 'o-1', cooldownMs: 30_000 });
      await store.releaseAny({ scheduleId: S, seatIds: [1, 2], now: T0 + 1_000, cooldownMs: 30_000 });
      const again = await store.hold({ ...holdCmd('alice', [1, 2], T0 + 2_000), cooldownMs: 30_000 });
      expect(again.events).toBe(2);
    });

    it('keeps the per-user limit from counts that releases, expiries and reserves lower', async () => {
      const max = 3;
      await store.hold(holdCmd('alice', [1, 2, 3], T0, max));
      expect((await refusal(store.hold(holdCmd('alice', [4], T0, max)))).seatIds).toEqual([4]);
      await store.release(cmd('alice', [1]));
      expect((await store.hold(holdCmd('alice', [4], T0, max))).events).toBe(1);
      await store.reserveOrder({ ...cmd('alice', [2]), orderId: 'o-2' });
      await store.reserveOrder({ ...cmd('alice', [3]), orderId: 'o-1' });
      expect((await store.hold(holdCmd('alice', [5, 6], T0, max))).events).toBe(2);
      const limited = await refusal(store.hold(holdCmd('alice', [4, 7, 8], T0 + 1, max)));
      expect(limited.code).toBe('HOLD_LIMIT');
      expect(limited.seatIds).toEqual([7, 8]);
      await store.releaseAny({ scheduleId: S, seatIds: [4], now: T0 + 2 });
      expect((await store.hold(holdCmd('alice', [7], T0 + 3, max))).events).toBe(1);
      // Everything alice holds expires: the count is back to 0.
      expect(await store.expireDue(T0 + 3 + TTL)).toBe(3);
      expect((await store.hold(holdCmd('alice', [9, 10, 11], T0 + 3 + TTL, max))).events).toBe(3);
      expect((await refusal(store.hold(holdCmd('alice', [12], T0 + 3 + TTL, max)))).code).toBe('HOLD_LIMIT');
    });

    it('caps the seats one address holds per schedule, across its users', async () => {
      const from = (userId: string, seatIds: number[], address: string, now = T0) => ({
        ...holdCmd(userId, seatIds, now),
        address,
        maxPerAddress: 3,
      });
      await store.hold(from('alice', [1, 2], '10.0.0.1'));
      await store.hold(from('bob', [3], '10.0.0.1'));
      const capped = await refusal(store.hold(from('carol', [4, 5], '10.0.0.1')));
      expect(capped.code).toBe('ADDRESS_HOLD_LIMIT');
      expect(capped.seatIds).toEqual([4, 5]);
      // Seats the user holds already are not added again; another address has its own count.
      expect((await store.hold(from('alice', [2], '10.0.0.1'))).events).toBe(0);
      expect((await store.hold(from('carol', [4], '10.0.0.2'))).events).toBe(1);
      // No cap when none is asked for.
      expect((await store.hold({ ...holdCmd('dave', [5]), address: '10.0.0.1' })).events).toBe(1);
      // Releases, reserves and service releases lower the address's count: 4 → 1.
      await store.release(cmd('alice', [1]));
      await store.reserveOrder({ ...cmd('bob', [3]), orderId: 'o-1' });
      await store.releaseAny({ scheduleId: S, seatIds: [5], now: T0 });
      expect((await store.hold(from('erin', [6, 7], '10.0.0.1'))).events).toBe(2);
      expect((await refusal(store.hold(from('erin', [8], '10.0.0.1')))).code).toBe('ADDRESS_HOLD_LIMIT');
      // So do expiries.
      expect(await store.expireDue(T0 + TTL)).toBe(4);
      expect((await store.hold(from('frank', [8, 9, 10], '10.0.0.1', T0 + TTL))).events).toBe(3);
    });

    it('keeps holders and addresses that contain the separator apart', async () => {
      const user = 'a|b|c';
      const held = await store.hold({ ...holdCmd(user, [1, 2]), address: 'x|y', maxPerAddress: 2 });
      expect(held.seats[0]).toMatchObject({ status: 'HELD', holder: user, expiresAt: T0 + TTL });
      expect((await store.state(S)).seats[0]).toMatchObject({ status: 'HELD', holder: user });
      expect((await refusal(store.hold({ ...holdCmd('z', [3]), address: 'x|y', maxPerAddress: 2 }))).code).toBe(
        'ADDRESS_HOLD_LIMIT',
      );
      expect((await refusal(store.release(cmd('a|b', [1])))).code).toBe('NOT_YOUR_HOLD');
      const reserved = await store.reserveOrder({ ...cmd(user, [1]), orderId: 'o|1' });
      expect(reserved.seats[0]).toEqual({ id: 1, row: 'A', number: 1, status: 'RESERVED', holder: user });
      expect((await store.reserveOrder({ ...cmd(user, [1]), orderId: 'o|1' })).events).toBe(0);
      await store.release(cmd(user, [2]));
      expect((await store.hold({ ...holdCmd('z', [3]), address: 'x|y', maxPerAddress: 2 })).events).toBe(1);
    });

    it('reserves an order of seats the user holds, once per order id', async () => {
      await store.hold(holdCmd('alice', [1, 2, 3]));
      await store.hold(holdCmd('bob', [4]));
      const reserved = await store.reserveOrder({ ...cmd('alice', [2, 1], T0 + 1_000), orderId: 'order-1' });
      expect(reserved.events).toBe(2);
      expect(reserved.seats).toEqual([
        { id: 2, row: 'A', number: 2, status: 'RESERVED', holder: 'alice' },
        { id: 1, row: 'A', number: 1, status: 'RESERVED', holder: 'alice' },
      ]);
      // The same order again, its seats in any order: success without an event.
      const again = await store.reserveOrder({ ...cmd('alice', [1, 2], T0 + 2_000), orderId: 'order-1' });
      expect(again.events).toBe(0);
      expect(again.eventId).toEqual(reserved.eventId);
      expect(again.seats.map((s) => s.status)).toEqual(['RESERVED', 'RESERVED']);
      // The same order id for another set of seats.
      const conflict = await refusal(store.reserveOrder({ ...cmd('alice', [1, 2, 3]), orderId: 'order-1' }));
      expect(conflict.code).toBe('ORDER_CONFLICT');
      expect((await refusal(store.reserveOrder({ ...cmd('alice', [1]), orderId: 'order-1' }))).code).toBe(
        'ORDER_CONFLICT',
      );
      // Seats not held by alice: held by bob, available, reserved (even by alice herself).
      const notHeld = await refusal(store.reserveOrder({ ...cmd('alice', [3, 4, 5, 1]), orderId: 'order-2' }));
      expect(notHeld.code).toBe('NOT_HELD');
      expect(notHeld.seatIds).toEqual([4, 5, 1]);
      expect((await store.state(S)).seats[2]).toMatchObject({ status: 'HELD', holder: 'alice' });
      // order-2 was not remembered: it may name other seats.
      expect((await store.reserveOrder({ ...cmd('alice', [3]), orderId: 'order-2' })).events).toBe(1);
      expect((await history()).map((e) => [e.scheduleSeatId, e.status])).toEqual([
        [1, 'HELD'],
        [2, 'HELD'],
        [3, 'HELD'],
        [4, 'HELD'],
        [2, 'RESERVED'],
        [1, 'RESERVED'],
        [3, 'RESERVED'],
      ]);
    });

    it('refuses to reserve an order whose hold expired, and expires it', async () => {
      await store.hold(holdCmd('alice', [1, 2]));
      await store.hold(holdCmd('alice', [3], T0 + 1_000));
      const late = await refusal(store.reserveOrder({ ...cmd('alice', [3, 1], T0 + TTL), orderId: 'o-1' }));
      expect(late.code).toBe('NOT_HELD');
      expect(late.seatIds).toEqual([1]);
      const seats = (await store.state(S)).seats;
      expect(seats.slice(0, 3).map((s) => s.status)).toEqual(['AVAILABLE', 'AVAILABLE', 'HELD']);
      expect((await store.reserveOrder({ ...cmd('alice', [3], T0 + TTL), orderId: 'o-1' })).events).toBe(1);
      expect((await refusal(store.reserveOrder({ ...cmd('alice', [3]), orderId: 'o-2', scheduleId: 99 }))).code).toBe(
        'SCHEDULE_NOT_FOUND',
      );
      expect((await refusal(store.reserveOrder({ ...cmd('alice', [3, 13]), orderId: 'o-1' }))).code).toBe(
        'SEAT_NOT_FOUND',
      );
    });

    it('tells each holder once of a hold about to expire and of one that expired, however it expired', async () => {
      const W = 20_000;
      await store.hold(holdCmd('alice', [1, 2]));
      await store.hold(holdCmd('bob|x', [3], T0 + 30_000)); // a holder may contain the separator
      await store.hold(holdCmd('carol', [4]));
      await store.release(cmd('carol', [4], T0 + 1)); // ended otherwise: never announced
      expect(await store.takeHoldNotices(T0 + TTL - W - 1, W)).toEqual([]);
      const warned = await store.takeHoldNotices(T0 + TTL - W, W);
      expect(sorted(warned)).toEqual([
        { kind: 'expiring', scheduleId: S, seatId: 1, holder: 'alice', expiresAt: T0 + TTL },
        { kind: 'expiring', scheduleId: S, seatId: 2, holder: 'alice', expiresAt: T0 + TTL },
      ]);
      expect(await store.takeHoldNotices(T0 + TTL - 1, W)).toEqual([]); // each once
      // Alice's hold expires through another buyer's mutation, bob's through the sweep.
      await store.hold(holdCmd('dave', [5], T0 + TTL));
      expect(await store.expireDue(T0 + 30_000 + TTL)).toBe(1);
      const told = await store.takeHoldNotices(T0 + 30_000 + TTL, 0);
      expect(sorted(told)).toEqual([
        { kind: 'expired', scheduleId: S, seatId: 1, holder: 'alice', expiresAt: T0 + TTL },
        { kind: 'expired', scheduleId: S, seatId: 2, holder: 'alice', expiresAt: T0 + TTL },
        { kind: 'expired', scheduleId: S, seatId: 3, holder: 'bob|x', expiresAt: T0 + 30_000 + TTL },
      ]);
      // Bob was never warned (no call looked that far ahead), and is not warned after the fact.
      expect(await store.takeHoldNotices(T0 + 2 * TTL - W, W)).toEqual([
        { kind: 'expiring', scheduleId: S, seatId: 5, holder: 'dave', expiresAt: T0 + 2 * TTL },
      ]);
      await store.deleteSchedule(S);
      expect(await store.takeHoldNotices(T0 + 3 * TTL, W)).toEqual([]);
    });

    it('releases held and reserved seats of anyone for the service, and forgets their order', async () => {
      await store.hold(holdCmd('alice', [1, 2]));
      await store.hold(holdCmd('bob', [3]));
      await store.reserveOrder({ ...cmd('alice', [1, 2]), orderId: 'order-1' });
      const released = await store.releaseAny({ scheduleId: S, seatIds: [3, 1], now: T0 + 1_000 });
      expect(released.events).toBe(2);
      expect(released.holders).toEqual(['bob', 'alice']); // whose they were, to tell them
      expect(released.seats).toEqual([
        { id: 3, row: 'A', number: 3, status: 'AVAILABLE' },
        { id: 1, row: 'A', number: 1, status: 'AVAILABLE' },
      ]);
      const available = await refusal(store.releaseAny({ scheduleId: S, seatIds: [2, 3, 4], now: T0 + 1_000 }));
      expect(available.code).toBe('NOT_HELD');
      expect(available.seatIds).toEqual([3, 4]);
      // The order is forgotten: retrying it is no stale success.
      const retried = await refusal(store.reserveOrder({ ...cmd('alice', [1, 2], T0 + 2_000), orderId: 'order-1' }));
      expect(retried.code).toBe('NOT_HELD');
      expect(retried.seatIds).toEqual([1, 2]);
      await store.releaseAny({ scheduleId: S, seatIds: [2], now: T0 + 3_000 });
      await store.hold(holdCmd('alice', [1, 2], T0 + 4_000));
      expect((await store.reserveOrder({ ...cmd('alice', [2, 1], T0 + 4_000), orderId: 'order-1' })).events).toBe(2);
      expect((await history()).map((e) => [e.scheduleSeatId, e.status]).slice(5)).toEqual([
        [3, 'AVAILABLE'],
        [1, 'AVAILABLE'],
        [2, 'AVAILABLE'],
        [1, 'HELD'],
        [2, 'HELD'],
        [2, 'RESERVED'],
        [1, 'RESERVED'],
      ]);
      expect((await refusal(store.releaseAny({ scheduleId: 99, seatIds: [1], now: T0 }))).code).toBe(
        'SCHEDULE_NOT_FOUND',
      );
    });

    it('forgets an order only while its id still names the released seat', async () => {
      await store.hold(holdCmd('alice', [1, 2, 3]));
      await store.reserveOrder({ ...cmd('alice', [1, 2]), orderId: 'order-1' });
      await store.releaseAny({ scheduleId: S, seatIds: [1], now: T0 });
      // The forgotten id is used again for another seat; seat 2 still carries the old one.
      expect((await store.reserveOrder({ ...cmd('alice', [3]), orderId: 'order-1' })).events).toBe(1);
      await store.releaseAny({ scheduleId: S, seatIds: [2], now: T0 });
      expect((await store.reserveOrder({ ...cmd('alice', [3]), orderId: 'order-1' })).events).toBe(0);
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

    it('imports a new schedule with seats RESERVED, one event each, and refuses what it cannot place', async () => {
      const N = S + 1;
      const layout = { rows: 2, seatsPerRow: 3 };
      const notFound = await refusal(store.importSchedule({ scheduleId: N, layout, reserved: [1, 7, 0], now: T0 }));
      expect(notFound.code).toBe('SEAT_NOT_FOUND');
      expect(notFound.seatIds).toEqual([7, 0]);
      expect(await store.exists(N)).toBe(false);
      const conflict = await refusal(store.importSchedule({ scheduleId: S, layout, reserved: [1], now: T0 }));
      expect(conflict.code).toBe('LAYOUT_CONFLICT');
      expect((await store.state(S)).lastEventId.offset).toBe(0);

      const created = await store.importSchedule({ scheduleId: N, layout, reserved: [5, 2, 5], now: T0 });
      expect(created).toMatchObject({ outcome: 'created', layout, reserved: [5, 2], events: 2 });
      expect(created.eventId.offset).toBe(2);
      const state = await store.state(N);
      expect(state.lastEventId).toEqual(created.eventId);
      expect(state.seats.filter((s) => s.status !== 'AVAILABLE')).toEqual([
        { id: 2, row: 'A', number: 2, status: 'RESERVED' },
        { id: 5, row: 'B', number: 2, status: 'RESERVED' },
      ]);
      const read = await bus.readAfter(scheduleTopic(N), { offset: 0, epoch: created.eventId.epoch });
      expect(read.kind === 'events' && read.events.map((e) => JSON.parse(e.data))).toEqual([
        {
          scheduleId: N,
          scheduleSeatId: 5,
          status: 'RESERVED',
          timestamp: new Date(T0).toISOString(),
          isHeartbeat: false,
        },
        {
          scheduleId: N,
          scheduleSeatId: 2,
          status: 'RESERVED',
          timestamp: new Date(T0).toISOString(),
          isHeartbeat: false,
        },
      ]);
      // Without seats it is a plain create, idempotent like createSchedule.
      expect(await store.importSchedule({ scheduleId: S + 2, layout, reserved: [], now: T0 })).toMatchObject({
        outcome: 'created',
        reserved: [],
        events: 0,
      });
      expect(await store.createSchedule(S + 2, layout)).toBe('unchanged');
    });

    it('restores reserved seats on an existing schedule: a buyer’s hold gives way, reserved seats stay', async () => {
      await store.hold({ ...holdCmd('alice', [1, 2], T0, 2), address: '10.0.0.1', maxPerAddress: 3 });
      await store.hold(holdCmd('bob', [3]));
      await store.reserveOrder({ ...cmd('bob', [3]), orderId: 'o-1' });
      const layout = { rows: 3, seatsPerRow: 4 };
      const restored = await store.importSchedule({ scheduleId: S, layout, reserved: [1, 3, 4], now: T0 + 1 });
      expect(restored).toMatchObject({ outcome: 'updated', reserved: [1, 4], events: 2 });
      expect(restored.eventId.offset).toBe(6);
      const seats = (await store.state(S)).seats;
      expect(seats.slice(0, 4)).toEqual([
        { id: 1, row: 'A', number: 1, status: 'RESERVED' },
        { id: 2, row: 'A', number: 2, status: 'HELD', holder: 'alice', expiresAt: T0 + TTL },
        { id: 3, row: 'A', number: 3, status: 'RESERVED', holder: 'bob' },
        { id: 4, row: 'A', number: 4, status: 'RESERVED' },
      ]);
      // alice's hold of seat 1 no longer counts, for her or for her address, and never expires.
      const more = { ...holdCmd('alice', [5], T0 + 2, 2), address: '10.0.0.1', maxPerAddress: 2 };
      expect((await store.hold(more)).events).toBe(1);
      expect((await refusal(store.hold(holdCmd('carol', [1], T0 + 2)))).code).toBe('SEATS_UNAVAILABLE');
      expect(await store.expireDue(T0 + 2 + TTL)).toBe(2);
      // The same records again change nothing; a refund frees an imported seat.
      const again = await store.importSchedule({ scheduleId: S, layout, reserved: [4, 1, 3], now: T0 + TTL + 3 });
      expect(again).toMatchObject({ outcome: 'unchanged', reserved: [], events: 0 });
      expect(again.eventId).toEqual((await store.state(S)).lastEventId);
      expect((await store.releaseAny({ scheduleId: S, seatIds: [4], now: T0 + TTL + 4 })).events).toBe(1);
      expect((await history()).map((e) => [e.scheduleSeatId, e.status])).toEqual([
        [1, 'HELD'],
        [2, 'HELD'],
        [3, 'HELD'],
        [3, 'RESERVED'],
        [1, 'RESERVED'],
        [4, 'RESERVED'],
        [5, 'HELD'],
        [2, 'AVAILABLE'],
        [5, 'AVAILABLE'],
        [4, 'AVAILABLE'],
      ]);
    });

    it('lists every schedule by id with counts by status and its last event id', async () => {
      await store.importSchedule({ scheduleId: 3, layout: { rows: 1, seatsPerRow: 5 }, reserved: [2], now: T0 });
      await store.hold(holdCmd('alice', [1, 2, 3]));
      await store.reserveOrder({ ...cmd('alice', [3]), orderId: 'o-1' });
      const list = await store.listSchedules();
      expect(list).toEqual([
        {
          scheduleId: 3,
          layout: { rows: 1, seatsPerRow: 5 },
          available: 4,
          held: 0,
          reserved: 1,
          lastEventId: (await store.state(3)).lastEventId,
        },
        {
          scheduleId: S,
          layout: { rows: 3, seatsPerRow: 4 },
          available: 9,
          held: 2,
          reserved: 1,
          lastEventId: (await store.state(S)).lastEventId,
        },
      ]);
      expect(list[1]!.lastEventId.offset).toBe(4);
    });

    it('deletes a schedule: gone for every operation, listeners told, never resumed when created again', async () => {
      await store.hold(holdCmd('alice', [1]));
      const topic = scheduleTopic(S);
      const heard: BusEvent[] = [];
      const subscription = bus.subscribe(topic, (event) => heard.push(event));
      await subscription.ready;
      const before = await bus.head(topic);
      await store.deleteSchedule(S);
      await eventually(() => expect(heard.map((e) => [e.offset, e.data])).toEqual([[0, DELETED_EVENT]]));
      subscription.unsubscribe();
      expect(await store.exists(S)).toBe(false);
      expect(await store.listSchedules()).toEqual([]);
      // Each caught as it is made: on Redis a read's answer comes on another connection than a
      // mutation's, so they may settle in any order.
      const refused = [
        store.state(S),
        store.deleteSchedule(S),
        store.hold(holdCmd('bob', [2])),
        store.releaseAny({ scheduleId: S, seatIds: [1], now: T0 }),
      ].map(refusal);
      for (const error of await Promise.all(refused)) expect(error.code).toBe('SCHEDULE_NOT_FOUND');
      expect(await store.expireDue(T0 + TTL)).toBe(0);
      // Created again under the same id: a new map, and no id of the old one resumes on it.
      await store.importSchedule({ scheduleId: S, layout: { rows: 1, seatsPerRow: 2 }, reserved: [2], now: T0 });
      expect((await store.state(S)).seats.map((s) => s.status)).toEqual(['AVAILABLE', 'RESERVED']);
      expect((await bus.readAfter(topic, before)).kind).toBe('unavailable');
      expect((await bus.readAfter(topic, { offset: 0, epoch: before.epoch })).kind).toBe('unavailable');
      expect((await bus.head(topic)).epoch).not.toBe(before.epoch);
    });
  });
}

function sorted(notices: HoldNotice[]): HoldNotice[] {
  return [...notices].sort((a, b) => a.kind.localeCompare(b.kind) || a.seatId - b.seatId);
}

async function eventually(check: () => void): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      check();
      return;
    } catch (error) {
      if (i > 200) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
