import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BusEvent, EventBus, History } from '../../src/bus/event-bus.js';

/** The EventBus contract (src/bus/event-bus.ts), run by every backend. */
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

    it('reads the history after an id: the last `limit` events at least; far older ids are unavailable', async () => {
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

    it('answers concurrent reads of one position alike, and a read asked after an append with the event', async () => {
      // A reconnect storm: many resumes from the same id at once (a bus may serve them with one read).
      let last: BusEvent | undefined;
      for (let i = 1; i <= 4; i++) last = await bus.append('storm', `{"n":${i}}`);
      const epoch = last!.epoch;
      const ids = (history: History) => (history.kind === 'events' ? history.events.map((e) => e.id) : 'unavailable');
      const reads = await Promise.all(
        Array.from({ length: 60 }, (_, i) => bus.readAfter('storm', { offset: 2, epoch: i % 6 ? epoch : 'other' })),
      );
      const same = reads.filter((_, i) => i % 6);
      for (const history of same) expect(history).toEqual(same[0]);
      expect(ids(same[0]!)).toEqual([`3@${epoch}`, `4@${epoch}`]);
      // The same offset of another epoch is another position.
      expect(reads.filter((_, i) => !(i % 6)).map(ids)).toEqual(new Array(10).fill('unavailable'));
      // Reads of other positions, among them, each get their own answer.
      const mixed = await Promise.all(
        [0, 1, 2, 3, 4, 5, 2, 4].map((offset) => bus.readAfter('storm', { offset, epoch })),
      );
      expect(mixed.map((h) => (h.kind === 'events' ? h.events.map((e) => e.offset) : h.kind))).toEqual([
        [1, 2, 3, 4],
        [2, 3, 4],
        [3, 4],
        [4],
        [],
        'unavailable',
        [3, 4],
        [],
      ]);
      // Reads still out when an append resolves may miss it; a read asked after it may not.
      const earlier = Array.from({ length: 20 }, () => bus.readAfter('storm', { offset: 4, epoch }));
      const appended = await bus.append('storm', '{"n":5}');
      const later = await Promise.all(Array.from({ length: 20 }, () => bus.readAfter('storm', { offset: 4, epoch })));
      for (const history of later) expect(ids(history)).toEqual([appended.id]);
      for (const history of await Promise.all(earlier)) expect([[], [appended.id]]).toContainEqual(ids(history));
    });

    it('delivers live events in order to every listener of the topic until it unsubscribes', async () => {
      const seen1: number[] = [];
      const seen2: number[] = [];
      const other: number[] = [];
      const sub1 = bus.subscribe('live', (e) => seen1.push(e.offset));
      const sub2 = bus.subscribe('live', (e) => seen2.push(e.offset));
      const sub3 = bus.subscribe('elsewhere', (e) => other.push(e.offset));
      await Promise.all([sub1.ready, sub2.ready, sub3.ready]);
      for (let i = 0; i < 3; i++) await bus.append('live', '{}');
      await waitUntil(() => seen1.length === 3 && seen2.length === 3);
      sub1.unsubscribe();
      // The sentinel: once listener 2 has event 4, listener 1 would have had it too.
      await bus.append('live', '{}');
      await bus.append('elsewhere', '{}');
      await waitUntil(() => seen2.length === 4 && other.length === 1);
      expect(seen1).toEqual([1, 2, 3]);
      expect(seen2).toEqual([1, 2, 3, 4]);
      expect(other).toEqual([1]);
      sub2.unsubscribe();
      sub3.unsubscribe();
    });

    it('is ready when subscribe says so: an event appended right after reaches the listener', async () => {
      const seen: string[] = [];
      const sub = bus.subscribe('ready', (e) => seen.push(e.data));
      await sub.ready;
      await bus.append('ready', '{"first":true}');
      await waitUntil(() => seen.length === 1);
      expect(seen).toEqual(['{"first":true}']);
      // A second listener of a topic already followed shares its readiness.
      const again = bus.subscribe('ready', () => undefined);
      await again.ready;
      again.unsubscribe();
      sub.unsubscribe();
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
