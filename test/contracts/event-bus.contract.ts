import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BusEvent, EventBus } from '../../src/bus/event-bus.js';

/** The EventBus contract (event-bus.ts), run against every implementation. */
export function describeEventBusContract(name: string, create: (replayLimit: number) => Promise<EventBus>): void {
  describe(`EventBus contract: ${name}`, () => {
    let bus: EventBus;
    beforeEach(async () => {
      bus = await create(5);
    });
    afterEach(() => bus.close());

    it('mints contiguous offsets per topic under one epoch', async () => {
      const a1 = await bus.append('a', '{"n":1}');
      const a2 = await bus.append('a', '{"n":2}');
      const b1 = await bus.append('b', '{"n":1}');
      expect([a1.offset, a2.offset, b1.offset]).toEqual([1, 2, 1]);
      expect(a1.epoch).toBe(b1.epoch);
      expect(a2.id).toBe(`2@${a2.epoch}`);
      expect(await bus.head('a')).toEqual({ offset: 2, epoch: a1.epoch });
      expect((await bus.head('never')).offset).toBe(0);
    });

    it('reads the history after an id, within the retained window only', async () => {
      const appended: BusEvent[] = [];
      for (let i = 1; i <= 8; i++) appended.push(await bus.append('t', `{"n":${i}}`));
      const epoch = appended[0]!.epoch;
      const after5 = await bus.readAfter('t', { offset: 5, epoch });
      expect(after5.kind === 'events' && after5.events.map((e) => e.data)).toEqual(['{"n":6}', '{"n":7}', '{"n":8}']);
      const atHead = await bus.readAfter('t', { offset: 8, epoch });
      expect(atHead).toEqual({ kind: 'events', events: [] });
      // Limit 5: events 4..8 retained, so resuming after 3 works and after 2 does not.
      const after3 = await bus.readAfter('t', { offset: 3, epoch });
      expect(after3.kind === 'events' && after3.events.map((e) => e.offset)).toEqual([4, 5, 6, 7, 8]);
      expect((await bus.readAfter('t', { offset: 2, epoch })).kind).toBe('unavailable');
      expect((await bus.readAfter('t', { offset: 9, epoch })).kind).toBe('unavailable');
      expect((await bus.readAfter('t', { offset: 8, epoch: 'other' })).kind).toBe('unavailable');
    });

    it('delivers live events in order to every listener of the topic until it unsubscribes', async () => {
      const seen1: number[] = [];
      const seen2: number[] = [];
      const other: number[] = [];
      const off1 = bus.subscribe('live', (e) => seen1.push(e.offset));
      const off2 = bus.subscribe('live', (e) => seen2.push(e.offset));
      const off3 = bus.subscribe('elsewhere', (e) => other.push(e.offset));
      await new Promise((resolve) => setTimeout(resolve, 50));
      for (let i = 0; i < 3; i++) await bus.append('live', '{}');
      await waitUntil(() => seen1.length === 3 && seen2.length === 3);
      off1();
      await bus.append('live', '{}');
      await waitUntil(() => seen2.length === 4);
      expect(seen1).toEqual([1, 2, 3]);
      expect(seen2).toEqual([1, 2, 3, 4]);
      expect(other).toEqual([]);
      off2();
      off3();
    });
  });
}

async function waitUntil(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
