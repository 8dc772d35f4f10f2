import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExpiryIndex } from '../../src/backends/memory/expiry-index.js';
import { LocalBus } from '../../src/backends/memory/local-bus.js';
import { MemorySeatStore } from '../../src/backends/memory/memory-seat-store.js';
import { Tally } from '../../src/backends/memory/tally.js';
import { scheduleTopic } from '../../src/seats/seat-events.js';

/** The memory store finds due holds through its expiry index: behaviour, memory and cost. */
describe('MemorySeatStore expiry index', () => {
  const T0 = Date.parse('2026-11-22T12:00:00Z');
  const TTL = 60_000;
  const S = 3;
  let bus: LocalBus;
  let store: MemorySeatStore;
  const hold = (userId: string, seatIds: number[], now: number, ttlMs = TTL) =>
    store.hold({ scheduleId: S, userId, seatIds, now, ttlMs, maxPerUser: 0 });
  const cmd = (userId: string, seatIds: number[], now: number) => ({ scheduleId: S, userId, seatIds, now });
  /** Seats made AVAILABLE by the events after `offset`, in event order. */
  const freedAfter = async (offset: number) => {
    const read = await bus.readAfter(scheduleTopic(S), { offset, epoch: bus.epoch });
    if (read.kind !== 'events') throw new Error('history unavailable');
    return read.events
      .map((e) => JSON.parse(e.data) as { scheduleSeatId: number; status: string })
      .filter((e) => e.status === 'AVAILABLE')
      .map((e) => e.scheduleSeatId);
  };
  /** A fixed shuffle of 0..n-1, the same on every run. */
  const shuffled = (n: number) => {
    const order = Array.from({ length: n }, (_, i) => i);
    let x = 12_345;
    for (let i = n - 1; i > 0; i--) {
      x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
      const j = x % (i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return order;
  };

  /** The index's one comparison, private: counting its calls counts the index's work. */
  const spyOnCompare = () =>
    vi.spyOn(ExpiryIndex.prototype as unknown as { before(i: number, j: number): boolean }, 'before');

  beforeEach(async () => {
    bus = new LocalBus(100_000);
    store = new MemorySeatStore(bus);
    await store.createSchedule(S, { rows: 100, seatsPerRow: 250 });
  });
  afterEach(() => vi.restoreAllMocks());

  it('expires many holds one mutation at a time in expiry order, and a batch in the order it was held', async () => {
    const expiries = shuffled(200).map((rank) => T0 + TTL + rank * 1_000);
    for (let seat = 1; seat <= 200; seat++) await hold(`u${seat}`, [seat], T0, expiries[seat - 1]! - T0);
    const start = (await bus.head(scheduleTopic(S))).offset;
    // Each mutation, at the next expiry, frees exactly the hold due then.
    for (const at of [...expiries].sort((a, b) => a - b)) await hold('x', [1000], at, 100 * TTL);
    const byExpiry = Array.from({ length: 200 }, (_, i) => i + 1).sort((a, b) => expiries[a - 1]! - expiries[b - 1]!);
    expect(await freedAfter(start)).toEqual(byExpiry);
    const notices = await store.takeHoldNotices(T0 + 3 * TTL, 0);
    expect(notices.map((n) => [n.seatId, n.expiresAt])).toEqual(byExpiry.map((s) => [s, expiries[s - 1]]));

    // Held in a shuffled seat order with shuffled expiries, all due at once: freed in the order held.
    const now = T0 + 10 * TTL;
    const heldOrder = shuffled(50).map((i) => 300 + i);
    const ttls = shuffled(50).map((rank) => TTL + rank * 10);
    for (const [i, seat] of heldOrder.entries()) await hold(`v${i}`, [seat], now, ttls[i]);
    const batch = (await bus.head(scheduleTopic(S))).offset;
    await hold('x', [1001], now + 2 * TTL, TTL);
    expect(await freedAfter(batch)).toEqual(heldOrder);
  });

  it('never expires a hold that ended before its expiry, nor a seat held again by its old expiry', async () => {
    await hold('a', [1, 2, 3, 4], T0);
    await hold('c', [5, 6], T0);
    await hold('d', [7], T0);
    await store.release(cmd('a', [1], T0 + 1));
    await store.reserveOrder({ ...cmd('a', [2], T0 + 1), orderId: 'o-1' });
    await store.release(cmd('a', [3, 4], T0 + 1));
    await hold('b', [3], T0 + 2, 2 * TTL);
    await hold('a', [4], T0 + 3, 2 * TTL);
    await store.importSchedule({ scheduleId: S, layout: { rows: 100, seatsPerRow: 250 }, reserved: [5], now: T0 + 4 });
    await store.releaseAny(cmd('svc', [6], T0 + 5));

    expect(await store.expireDue(T0 + TTL)).toBe(1);
    expect(await store.takeHoldNotices(T0 + TTL, 0)).toEqual([
      { kind: 'expired', scheduleId: S, seatId: 7, holder: 'd', expiresAt: T0 + TTL },
    ]);
    const seats = (await store.state(S)).seats;
    expect(seats.slice(0, 7).map((s) => [s.status, s.holder])).toEqual([
      ['AVAILABLE', undefined],
      ['RESERVED', 'a'],
      ['HELD', 'b'],
      ['HELD', 'a'],
      ['RESERVED', undefined],
      ['AVAILABLE', undefined],
      ['AVAILABLE', undefined],
    ]);
    expect(await store.expireDue(T0 + 3 + 2 * TTL)).toBe(2);
    expect((await store.takeHoldNotices(T0 + 3 + 2 * TTL, 0)).map((n) => [n.seatId, n.holder, n.expiresAt])).toEqual([
      [3, 'b', T0 + 2 + 2 * TTL],
      [4, 'a', T0 + 3 + 2 * TTL],
    ]);

    // A deleted schedule's holds go with it: the one created again under its id has only its own.
    await hold('e', [8], T0 + 4 * TTL);
    await store.deleteSchedule(S);
    await store.createSchedule(S, { rows: 1, seatsPerRow: 10 });
    await hold('f', [9], T0 + 4 * TTL + 1);
    expect(await store.expireDue(T0 + 5 * TTL)).toBe(0);
    expect(await store.expireDue(T0 + 5 * TTL + 1)).toBe(1);
  });

  it('warns of holds about to expire once each, in the order they were held', async () => {
    const W = 10_000;
    const expiries = shuffled(200).map((rank) => T0 + TTL + rank * 1_000);
    for (const [i, seat] of shuffled(200).entries()) await hold(`u${i}`, [seat + 1], T0, expiries[seat]! - T0);
    await store.release(cmd('u0', [shuffled(200)[0]! + 1], T0 + 1)); // ended otherwise: never warned
    const heldOrder = shuffled(200)
      .slice(1)
      .map((seat) => seat + 1);
    const warned: number[] = [];
    for (let now = T0 + TTL - W; now <= T0 + TTL + 200_000; now += 7_000) {
      const notices = await store.takeHoldNotices(now, W);
      const seats = notices.map((n) => n.seatId);
      expect(seats).toEqual(heldOrder.filter((seat) => seats.includes(seat)));
      for (const n of notices)
        expect([n.kind, n.expiresAt > now, n.expiresAt <= now + W]).toEqual(['expiring', true, true]);
      warned.push(...seats);
    }
    expect([...warned].sort((a, b) => a - b)).toEqual([...heldOrder].sort((a, b) => a - b));
  });

  it('keeps the index at the live holds through 100,000 hold/release cycles', async () => {
    const add = vi.spyOn(ExpiryIndex.prototype, 'add');
    await hold('keep', [201, 202, 203], T0, 100 * TTL);
    const index = add.mock.contexts[0] as ExpiryIndex<object>;
    const held = async () => (await store.listSchedules())[0]!.held;
    for (let i = 0; i < 100_000; i++) {
      const seat = 1 + (i % 200);
      const user = `u${i % 7}`;
      const now = T0 + 2 * i;
      await hold(user, [seat], now, 1_000 + (i % 5_000));
      // Ended each way a hold can end: released, reserved then freed, or expired by the next mutation.
      if (i % 3 === 0) await store.release(cmd(user, [seat], now));
      else if (i % 3 === 1) {
        await store.reserveOrder({ ...cmd(user, [seat], now), orderId: `o${i}` });
        await store.releaseAny(cmd('svc', [seat], now));
      } else await store.expireDue(now + 1_000 + (i % 5_000));
      if (i % 10_000 === 0) expect(index.size).toBe(await held());
    }
    expect(await held()).toBe(3);
    expect(index.size).toBe(3);
  });

  it('finds no due hold among 20,000 held with O(log n) index work and no scan of the held seats', async () => {
    const order = shuffled(1_000);
    for (let u = 0; u < 1_000; u++) {
      const seats = Array.from({ length: 20 }, (_, i) => u * 20 + i + 1);
      await hold(`u${u}`, seats, T0, TTL + order[u]! * 100);
    }
    const logN = Math.ceil(Math.log2(20_001));
    const mutations = [
      // The earliest expiry of all, so that it climbs to the top of the heap and leaves it again.
      () => hold('m', [24_001], T0 + 1, 1_000),
      () => store.release(cmd('m', [24_001], T0 + 2)),
      () => hold('m', [24_002], T0 + 3, 10 * TTL),
      () => store.reserveOrder({ ...cmd('m', [24_002], T0 + 4), orderId: 'o' }),
      () => store.releaseAny(cmd('svc', [24_002], T0 + 5)),
    ];
    for (const mutation of mutations) {
      const compare = spyOnCompare();
      const taken = vi.spyOn(ExpiryIndex.prototype, 'takeDue');
      const iterate = vi.spyOn(Set.prototype, Symbol.iterator);
      await mutation();
      // A loop over a Set of every held seat (the store kept one, in the order held) is a scan.
      const scans = iterate.mock.contexts.filter((set) => (set as Set<unknown>).size >= 20_000).length;
      const work = compare.mock.calls.length;
      const due = taken.mock.results.map((r) => (r.value as unknown[]).length);
      vi.restoreAllMocks();
      expect(scans).toBe(0);
      expect(work).toBeLessThanOrEqual(2 * logN + 2);
      expect(due).toEqual([0]);
    }
    const compare = spyOnCompare();
    // The first 20 due (one user's seats) cost O(log n) each, the others nothing.
    expect(await store.expireDue(T0 + TTL)).toBe(20);
    expect(compare.mock.calls.length).toBeLessThanOrEqual(20 * (2 * logN + 2));
  });
});

describe('Tally', () => {
  it('counts through churn, keeping at most about twice the live keys', () => {
    const tally = new Tally();
    for (let u = 0; u < 1_000; u++) tally.add(`u${u}`, 2);
    for (let i = 0; i < 100_000; i++) {
      const key = `c${i % 5_000}`;
      tally.add(key, 1);
      tally.add('m', 1);
      tally.add(key, -1);
      tally.add('m', -1);
      expect(tally.keys).toBeLessThanOrEqual(2 * 1_000 + 64 + 2);
    }
    expect([tally.get('u7'), tally.get('c7'), tally.get('m'), tally.get('never')]).toEqual([2, 0, 0, 0]);
    for (let u = 0; u < 1_000; u++) tally.add(`u${u}`, -2);
    tally.add('x', 3);
    expect(tally.keys).toBeLessThanOrEqual(64 + 1);
    expect(tally.get('x')).toBe(3);
  });
});
