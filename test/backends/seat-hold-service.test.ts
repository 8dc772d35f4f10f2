import { describe, expect, it, vi } from 'vitest';
import { memoryBackend } from '../../src/backends/memory/memory-backend.js';
import type { SeatError } from '../../src/seats/seat-error.js';
import { SeatHoldService } from '../../src/seats/seat-hold-service.js';

const T0 = Date.parse('2026-11-22T12:00:00Z');

describe('SeatHoldService', () => {
  const setup = async () => {
    let now = T0;
    const { store } = memoryBackend({ replayLimit: 1000 });
    const service = new SeatHoldService(store, {
      holdTtlMs: 60_000,
      maxHoldPerUser: 4,
      sweepMs: 3_600_000,
      cooldownMs: 30_000,
      clock: () => now,
    });
    await service.createSchedule(1, { rows: 2, seatsPerRow: 5 });
    return { service, tick: (ms: number) => (now += ms) };
  };
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (e: unknown) => e as SeatError,
    );

  it('passes its cool-down to releases and to the expiries of its sweep and of its mutations', async () => {
    const { service, tick } = await setup();
    await service.hold(1, 'alice', [1, 2]);
    await service.release(1, 'alice', [1]);
    expect(await refusal(service.hold(1, 'alice', [1]))).toMatchObject({ code: 'HOLD_COOLDOWN', retryAfterMs: 30_000 });
    tick(60_000);
    expect(await service.expireDue()).toBe(1);
    expect(await refusal(service.hold(1, 'alice', [2]))).toMatchObject({ code: 'HOLD_COOLDOWN', retryAfterMs: 30_000 });
    await service.hold(1, 'alice', [3]);
    tick(60_000);
    // A mutation's expiry of seat 3 starts the cool-down too.
    await service.hold(1, 'bob', [4]);
    expect(await refusal(service.hold(1, 'alice', [3]))).toMatchObject({ code: 'HOLD_COOLDOWN', retryAfterMs: 30_000 });
  });

  it('holds within the credential and the address cap; the service reserves orders and releases any seat', async () => {
    const { service } = await setup();
    const held = await service.hold(1, 'alice', [1, 2], { notAfter: T0 + 5_000, address: '::1', maxPerAddress: 3 });
    expect(held).toMatchObject({ status: 'HELD', expiresAt: T0 + 5_000, events: 2 });
    const capped = await refusal(service.hold(1, 'bob', [3, 4], { address: '::1', maxPerAddress: 3 }));
    expect(capped).toMatchObject({ code: 'ADDRESS_HOLD_LIMIT', seatIds: [3, 4] });
    const order = await service.reserveOrder(1, 'alice', [2, 1], 'o-1');
    expect(order).toMatchObject({ status: 'RESERVED', events: 2 });
    expect(order.seats.map((s) => s.status)).toEqual(['RESERVED', 'RESERVED']);
    expect((await service.reserveOrder(1, 'alice', [1, 2], 'o-1')).eventId).toBe(order.eventId);
    const released = await service.releaseAny(1, [1]);
    expect(released).toMatchObject({ status: 'AVAILABLE', events: 1 });
    // No cool-down after a service release.
    expect((await service.hold(1, 'alice', [1])).events).toBe(1);
  });

  it('tells of a failing sweep once per run of failures, and when it works again', async () => {
    vi.useFakeTimers();
    try {
      const told: string[] = [];
      let failing = true;
      const { store } = memoryBackend({ replayLimit: 1000 });
      const flaky = Object.create(store) as typeof store;
      flaky.expireDue = (now, cooldown) =>
        failing ? Promise.reject(new Error('store unreachable')) : store.expireDue(now, cooldown);
      const service = new SeatHoldService(flaky, {
        holdTtlMs: 60_000,
        maxHoldPerUser: 0,
        sweepMs: 100,
        onSweepError: (error) => told.push(`failing: ${(error as Error).message}`),
        onSweepRecovered: () => told.push('recovered'),
      });
      service.start();
      await vi.advanceTimersByTimeAsync(550); // five failed sweeps
      failing = false;
      await vi.advanceTimersByTimeAsync(300); // three that work
      failing = true;
      await vi.advanceTimersByTimeAsync(100);
      service.stop();
      expect(told).toEqual(['failing: store unreachable', 'recovered', 'failing: store unreachable']);
    } finally {
      vi.useRealTimers();
    }
  });
});
