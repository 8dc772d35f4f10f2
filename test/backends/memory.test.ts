import { describe, expect, it } from 'vitest';
import { LocalBus } from '../../src/backends/memory/local-bus.js';
import { memoryBackend } from '../../src/backends/memory/memory-backend.js';
import { describeEventBusContract } from './event-bus.contract.js';
import { describeSeatStoreContract } from './seat-store.contract.js';

describeEventBusContract('memory', async (replayLimit) => memoryBackend({ replayLimit }).bus);
describeSeatStoreContract('memory', async () => memoryBackend({ replayLimit: 1000 }));

describe('LocalBus', () => {
  it('has an epoch of its own per process, so ids from before a restart never resume silently', () => {
    expect(new LocalBus().epoch).not.toBe(new LocalBus().epoch);
  });
});

describe('memory store: a big schedule’s state', () => {
  it('is lent without a copy per read; what it lent never changes, and the next one has every change', async () => {
    const { store } = memoryBackend({ replayLimit: 1000 });
    const T0 = Date.parse('2026-12-03T12:00:00Z');
    const hold = { scheduleId: 1, ttlMs: 60_000, maxPerUser: 0 };
    await store.createSchedule(1, { rows: 100, seatsPerRow: 100 }); // 10,000 seats: kept as a view
    const taken = async () => (await store.state(1)).seats.filter((seat) => seat.status !== 'AVAILABLE');
    const lent = await store.state(1);
    const asLent = structuredClone(lent.seats);
    expect((await store.state(1)).seats).toBe(lent.seats); // nothing changed: the same seats, not a copy

    await store.hold({ ...hold, userId: 'u1', seatIds: [1, 2, 9_999], now: T0 });
    expect(await taken()).toEqual([
      { id: 1, row: 'A', number: 1, status: 'HELD', holder: 'u1', expiresAt: T0 + 60_000 },
      { id: 2, row: 'A', number: 2, status: 'HELD', holder: 'u1', expiresAt: T0 + 60_000 },
      { id: 9_999, row: 'CV', number: 99, status: 'HELD', holder: 'u1', expiresAt: T0 + 60_000 },
    ]);
    await store.release({ scheduleId: 1, userId: 'u1', seatIds: [2], now: T0 });
    await store.reserveOrder({ scheduleId: 1, userId: 'u1', seatIds: [1], orderId: 'o-1', now: T0 });
    await store.hold({ ...hold, userId: 'u2', seatIds: [3], now: T0, ttlMs: 1_000 });
    expect(await store.expireDue(T0 + 1_000)).toBe(1); // u2's seat 3
    await store.importSchedule({ scheduleId: 1, layout: { rows: 100, seatsPerRow: 100 }, reserved: [4], now: T0 });
    await store.releaseAny({ scheduleId: 1, seatIds: [9_999], now: T0 });
    expect(await taken()).toEqual([
      { id: 1, row: 'A', number: 1, status: 'RESERVED', holder: 'u1' },
      { id: 4, row: 'A', number: 4, status: 'RESERVED' },
    ]);
    expect(lent.seats).toEqual(asLent); // the first reader's map is as it was
  });
});
