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

    it('mints contiguous offsets per topic, each topic under its own epoch', async () => {
      const a1 = await bus.append('a', '{"n":1}');
      const a2 = await bus.append('a', '{"n":2}');
      const b1 = await bus.append('b', '{"n":1}');
      expect([a1.offset, a2.offset, b1.offset]).toEqual([1, 2, 1]);
      expect(a2.epoch).toBe(a1.epoch);
      expect(a2.id).toBe(`2@${a2.epoch}`);
      expect(await bus.head('a')).toEqual({ offset: 2, epoch: a1.epoch });
      expect((await bus.head('never')).offset).toBe(0);
    });

    it('reads the history after an id: at least the last `limit` events are retained, far older ids are unavailable', async () => {
      const appended: BusEvent[] = [];
      for (let i = 1; i <= 300; i++) appended.push(await bus.append('t', `{"n":${i}}`));
      const epoch = appended[0]!.epoch;
      const after297 = await bus.readAfter('t', { offset: 297, epoch });
      expect(after297.kind === 'events' && after297.events.map((e) => e.data)).toEqual([
        '{"n":298}',
        '{"n":299}',
        '{"n":300}',
      ]);
      expect(await bus.readAfter('t', { offset: 300, epoch })).toEqual({ kind: 'events', events: [] });
      // Limit 5: resuming after 295 (5 events back) must work; from the start it must not.
      const after295 = await bus.readAfter('t', { offset: 295, epoch });
      expect(after295.kind === 'events' && after295.events.map((e) => e.offset)).toEqual([296, 297, 298, 299, 300]);
      expect((await bus.readAfter('t', { offset: 0, epoch })).kind).toBe('unavailable');
      expect((await bus.readAfter('t', { offset: 301, epoch })).kind).toBe('unavailable');
      expect((await bus.readAfter('t', { offset: 300, epoch: 'other' })).kind).toBe('unavailable');
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
