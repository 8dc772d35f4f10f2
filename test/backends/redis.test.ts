import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.js';
import { memoryBackend } from '../../src/backends/memory/memory-backend.js';
import { RedisBus } from '../../src/backends/redis/redis-bus.js';
import { RedisContext } from '../../src/backends/redis/redis-context.js';
import { RedisSeatStore } from '../../src/backends/redis/redis-seat-store.js';
import { busScripts } from '../../src/backends/redis/scripts.js';
import type { BusEvent, History } from '../../src/bus/event-bus.js';
import { SeatError } from '../../src/seats/seat-error.js';
import { scheduleTopic } from '../../src/seats/seat-events.js';
import { monitorRedis, redisTestsEnabled } from '../support/redis-server.js';
import { suiteRedis } from '../support/suite-redis.js';
import { describeEventBusContract } from './event-bus.contract.js';
import { describeSeatStoreContract } from './seat-store.contract.js';

const enabled = redisTestsEnabled('Redis store and bus contracts');

describe.skipIf(!enabled)('Redis', () => {
  // TEST_REDIS_URL (a Redis the user's CI provides) or a redis-server of our own.
  const suite = suiteRedis();
  const backend = (replayLimit: number, prefix?: string) => suite.backend({ replayLimit, ...(prefix && { prefix }) });
  describeEventBusContract('redis', async (replayLimit) => (await backend(replayLimit)).bus);
  describeSeatStoreContract('redis', () => backend(1000));

  it('writes event JSON byte for byte as the memory store does, for the same changes', async () => {
    const T0 = Date.parse('2026-11-22T12:00:00.123Z');
    const S = 41;
    const run = async (b: Backend) => {
      await b.store.createSchedule(S, { rows: 2, seatsPerRow: 3 });
      const hold = { scheduleId: S, now: T0, ttlMs: 60_000, maxPerUser: 0 };
      await b.store.hold({ ...hold, userId: 'alice', seatIds: [1, 2, 6] });
      await b.store.release({ scheduleId: S, userId: 'alice', seatIds: [2], now: T0 + 1 });
      await b.store.reserveOrder({ scheduleId: S, userId: 'alice', seatIds: [1], orderId: 'o-0', now: T0 + 2 });
      await b.store.hold({ ...hold, userId: 'bob', seatIds: [3], now: T0 + 3 });
      await b.store.expireDue(T0 + 60_003, 10_000);
      const bound = { ...hold, now: T0 + 60_004, notAfter: T0 + 70_000, address: '::1', maxPerAddress: 4 };
      await b.store.hold({ ...bound, userId: 'carol', seatIds: [2, 3, 4] });
      await b.store.reserveOrder({ scheduleId: S, userId: 'carol', seatIds: [4, 2], orderId: 'o-1', now: T0 + 60_005 });
      await b.store.releaseAny({ scheduleId: S, seatIds: [1, 2], now: T0 + 60_006 });
      await b.store.hold({ ...hold, userId: 'dave', seatIds: [5], now: T0 + 60_007 });
      await b.store.release({ scheduleId: S, userId: 'carol', seatIds: [3], now: T0 + 69_999, cooldownMs: 5 });
      // The operator's records: seat 6 available, 4 reserved already, 5 held by dave; and a new schedule.
      const layout = { rows: 2, seatsPerRow: 3 };
      await b.store.importSchedule({ scheduleId: S, layout, reserved: [6, 4, 5], now: T0 + 70_000 });
      await b.store.importSchedule({ scheduleId: S + 1, layout, reserved: [3, 1], now: T0 + 70_001 });
      const events: string[] = [];
      for (const topic of [scheduleTopic(S), scheduleTopic(S + 1)]) {
        const head = await b.bus.head(topic);
        const history = await b.bus.readAfter(topic, { offset: 0, epoch: head.epoch });
        if (history.kind !== 'events') throw new Error('history unavailable');
        events.push(...history.events.map((e) => e.data));
      }
      return events;
    };
    const memory = await run(memoryBackend({ replayLimit: 1000 }));
    expect(memory).toHaveLength(21);
    expect(await run(await backend(1000))).toEqual(memory);
  });
  it('writes nothing for a schedule or topic that does not exist', async () => {
    const prefix = suite.prefix('ghosts');
    const b = await backend(1000, prefix);
    const redis = new Redis(suite.url);
    const keys = async () => {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        found.push(...batch);
        cursor = next;
      } while (cursor !== '0');
      return found.sort();
    };
    try {
      // One real schedule with a hold, so the sweep's set of schedules exists throughout.
      await b.store.createSchedule(1, { rows: 2, seatsPerRow: 3 });
      await b.store.hold({
        scheduleId: 1,
        userId: 'u',
        seatIds: [1],
        now: Date.now(),
        ttlMs: 3_600_000,
        maxPerUser: 0,
      });
      const before = await keys();
      expect(before.length).toBeGreaterThan(4);
      const refusals: string[] = [];
      const refused = (promise: Promise<unknown>) =>
        promise.then(
          () => refusals.push('none'),
          (e: unknown) => refusals.push(e instanceof SeatError ? e.code : String(e)),
        );
      for (let i = 0; i < 200; i++) {
        const scheduleId = 1_000 + i;
        const topic = scheduleTopic(scheduleId);
        const now = Date.now();
        const seat = { scheduleId, userId: 'u', seatIds: [1], now, cooldownMs: 1_000 };
        switch (i % 9) {
          case 0:
            await refused(b.store.state(scheduleId));
            break;
          case 1:
            await refused(b.store.hold({ ...seat, ttlMs: 60_000, maxPerUser: 2, address: 'a', maxPerAddress: 2 }));
            break;
          case 2:
            await refused(b.store.release(seat));
            break;
          case 3:
            await refused(b.store.releaseAny(seat));
            break;
          case 4:
            await refused(b.store.reserveOrder({ ...seat, orderId: 'o' }));
            break;
          case 5:
            await refused(b.store.releaseAny(seat));
            break;
          case 6:
            // The sweep meets a schedule id that names no schedule.
            await redis.sadd(`${prefix}schedules-with-holds`, scheduleId);
            expect(await b.store.expireDue(now, 1_000)).toBe(0);
            break;
          case 7:
            expect((await b.bus.head(topic)).offset).toBe(0);
            break;
          default:
            expect((await b.bus.readAfter(topic, { offset: 0, epoch: (await b.bus.head(topic)).epoch })).kind).toBe(
              'unavailable',
            );
        }
      }
      expect(new Set(refusals)).toEqual(new Set(['SCHEDULE_NOT_FOUND']));
      expect(await keys()).toEqual(before);
      expect(await redis.smembers(`${prefix}schedules-with-holds`)).toEqual(['1']);
    } finally {
      redis.disconnect();
    }
  });

  it('deletes every key of a schedule’s hash tag, and keeps the list of schedules beside them', async () => {
    const prefix = suite.prefix('delete');
    const b = await backend(1000, prefix);
    const redis = new Redis(suite.url);
    const tagged = async (id: number) => (await redis.keys(`${prefix}{schedule:${id}}*`)).sort();
    const T0 = Date.now();
    try {
      await b.store.createSchedule(3, { rows: 2, seatsPerRow: 3 });
      await b.store.importSchedule({ scheduleId: 4, layout: { rows: 1, seatsPerRow: 3 }, reserved: [1], now: T0 });
      const hold = { scheduleId: 3, now: T0, ttlMs: 60_000, maxPerUser: 5, address: '10.0.0.1', maxPerAddress: 5 };
      await b.store.hold({ ...hold, userId: 'alice', seatIds: [1, 2] });
      await b.store.reserveOrder({ scheduleId: 3, userId: 'alice', seatIds: [1], orderId: 'o-1', now: T0 });
      await b.store.release({ scheduleId: 3, userId: 'alice', seatIds: [2], now: T0, cooldownMs: 60_000 });
      await b.store.hold({ ...hold, userId: 'bob', seatIds: [3] });
      await b.store.hold({ ...hold, userId: 'carol', seatIds: [4], ttlMs: 1 });
      await b.store.expireDue(T0 + 1); // carol's expiry waits in the outbox for its notice
      expect((await tagged(3)).map((k) => k.slice(`${prefix}{schedule:3}`.length))).toEqual([
        ':cooldown',
        ':expired',
        ':expiry',
        ':held-by-address',
        ':held-by-user',
        ':meta',
        ':orders',
        ':seats',
        ':stream',
        ':unwarned',
      ]);
      expect((await redis.smembers(`${prefix}schedules`)).sort()).toEqual(['3', '4']);
      await b.store.deleteSchedule(3);
      expect(await tagged(3)).toEqual([]);
      expect(await tagged(4)).toHaveLength(3); // meta, seats, stream: the other schedule is untouched
      expect(await redis.smembers(`${prefix}schedules`)).toEqual(['4']);
      // An id listed but gone (a delete whose SREM failed) is skipped, and nothing is written for it.
      await redis.sadd(`${prefix}schedules`, 9);
      expect((await b.store.listSchedules()).map((s) => s.scheduleId)).toEqual([4]);
      expect(await tagged(9)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it('keeps counts, cool-downs and orders as small data of the schedule, under its hash tag', async () => {
    const prefix = suite.prefix('layout');
    const b = await backend(1000, prefix);
    const redis = new Redis(suite.url);
    const base = `${prefix}{schedule:3}`;
    const T0 = Date.parse('2026-11-22T12:00:00Z');
    const hold = { scheduleId: 3, now: T0, ttlMs: 60_000, maxPerUser: 5, maxPerAddress: 5 };
    try {
      await b.store.createSchedule(3, { rows: 2, seatsPerRow: 3 });
      await b.store.hold({ ...hold, userId: 'alice', seatIds: [1, 2, 3], address: '10.0.0.1', notAfter: T0 + 30_000 });
      await b.store.hold({ ...hold, userId: 'bob|x', seatIds: [4], address: '10.0.0.1' });
      await b.store.hold({ ...hold, userId: 'carol', seatIds: [5] });
      expect(await redis.hgetall(`${base}:held-by-user`)).toEqual({ alice: '3', 'bob|x': '1', carol: '1' });
      expect(await redis.hgetall(`${base}:held-by-address`)).toEqual({ '10.0.0.1': '4' });
      expect(await redis.hget(`${base}:seats`, '4')).toBe(`H|${T0 + 60_000}|10.0.0.1|bob|x`);
      await b.store.reserveOrder({ scheduleId: 3, userId: 'alice', seatIds: [3, 1], orderId: 'o-7', now: T0 });
      expect(await redis.hget(`${base}:seats`, '1')).toBe('R|o-7|alice');
      expect(await redis.hgetall(`${base}:orders`)).toEqual({ 'o-7': '1,3' });
      await b.store.release({ scheduleId: 3, userId: 'carol', seatIds: [5], now: T0, cooldownMs: 10_000 });
      expect(await redis.zrange(`${base}:cooldown`, '0', '-1', 'WITHSCORES')).toEqual(['5|carol', String(T0 + 10_000)]);
      // alice's seat 2 expires with its credential, bob's seat 4 with its TTL: the counts follow.
      expect(await b.store.expireDue(T0 + 30_000, 5_000)).toBe(1);
      expect(await redis.hgetall(`${base}:held-by-user`)).toEqual({ 'bob|x': '1' });
      await b.store.expireDue(T0 + 60_000);
      await b.store.releaseAny({ scheduleId: 3, seatIds: [1], now: T0 + 60_000 });
      // Counts at 0 and cool-downs that passed are removed as the schedule's mutations go.
      expect(await redis.exists(`${base}:held-by-user`, `${base}:held-by-address`, `${base}:cooldown`)).toBe(0);
      expect(await redis.exists(`${base}:orders`)).toBe(0);
      expect(await redis.hgetall(`${base}:seats`)).toEqual({ '3': 'R|o-7|alice' });
    } finally {
      redis.disconnect();
    }
  });

  it('reads every form of a seat’s field into the map, older holds without an address included', async () => {
    const prefix = suite.prefix('fields');
    const b = await backend(1000, prefix);
    const redis = new Redis(suite.url);
    try {
      await b.store.createSchedule(4, { rows: 2, seatsPerRow: 3 });
      // Written as the scripts write them, and (seat 3) as holds were written before addresses were kept.
      await redis.hset(`${prefix}{schedule:4}:seats`, {
        1: 'H|1700000000000|10.0.0.1|bob|x',
        2: 'H|1700000000001|%3A%3A1|carol',
        3: 'H|1700000000002|dave',
        4: 'R|o-7|alice',
        5: 'R||',
      });
      const { seats } = await b.store.state(4);
      expect(seats).toEqual([
        { id: 1, row: 'A', number: 1, status: 'HELD', holder: 'bob|x', expiresAt: 1700000000000 },
        { id: 2, row: 'A', number: 2, status: 'HELD', holder: 'carol', expiresAt: 1700000000001 },
        { id: 3, row: 'A', number: 3, status: 'HELD', holder: 'dave', expiresAt: 1700000000002 },
        { id: 4, row: 'B', number: 1, status: 'RESERVED', holder: 'alice' },
        { id: 5, row: 'B', number: 2, status: 'RESERVED' },
        { id: 6, row: 'B', number: 3, status: 'AVAILABLE' },
      ]);
    } finally {
      redis.disconnect();
    }
  });

  it('serves concurrent resumes from one position with one history read: one script call in Redis', async () => {
    const prefix = suite.prefix('storm');
    const b = await backend(1000, prefix);
    const topic = scheduleTopic(7);
    let last: BusEvent | undefined;
    for (let i = 1; i <= 5; i++) last = await b.bus.append(topic, `{"n":${i}}`);
    const epoch = last!.epoch;
    // Every busReadAfter call on this topic, as Redis runs it (evalsha, or eval before the script is cached).
    const sha = createHash('sha1').update(busScripts().busReadAfter.lua).digest('hex');
    const meta = `${prefix}{${topic}}:meta`;
    const redis = new Redis(suite.url);
    const monitor = await monitorRedis(suite.url);
    const reads: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      const [command, script, , key] = args;
      const isRead = command === 'evalsha' ? script === sha : command === 'eval' && script!.includes('bus-read-after');
      if (isRead && key === meta) reads.push(`${args[9]}@${args[10]}`);
    });
    /** Waits until Redis has run, and MONITOR reported, everything sent before. */
    const settled = async () => {
      const marker = `marker-${Math.random()}`;
      const seen = new Promise<void>((resolve) =>
        monitor.on('monitor', (_time: string, args: string[]) => args[1] === marker && resolve()),
      );
      await redis.echo(marker);
      await seen;
    };
    try {
      // 500 resumes from 3, and 10 from 1, all at once: two reads.
      const storm = await Promise.all([
        ...Array.from({ length: 500 }, () => b.bus.readAfter(topic, { offset: 3, epoch })),
        ...Array.from({ length: 10 }, () => b.bus.readAfter(topic, { offset: 1, epoch })),
      ]);
      await settled();
      expect(reads.sort()).toEqual([`1@${epoch}`, `3@${epoch}`]);
      const offsets = (h: History) => (h.kind === 'events' ? h.events.map((e) => e.offset) : h.kind);
      expect(offsets(storm[0]!)).toEqual([4, 5]);
      for (const history of storm.slice(0, 500)) expect(history).toBe(storm[0]);
      expect(offsets(storm[500]!)).toEqual([2, 3, 4, 5]);
      // A settled read is not kept: the next resumes read again, and see what was appended since.
      const appended = await b.bus.append(topic, '{"n":6}');
      const again = await Promise.all(Array.from({ length: 100 }, () => b.bus.readAfter(topic, { offset: 3, epoch })));
      await settled();
      expect(reads).toHaveLength(3);
      expect(offsets(again[0]!)).toEqual([4, 5, appended.offset]);
    } finally {
      monitor.disconnect();
      redis.disconnect();
    }
  });

  it('reads history, heads and maps on a connection of their own: a mutation queued ahead holds none up', async () => {
    const prefix = suite.prefix('reader');
    const [client, reader, subscriber] = [new Redis(suite.url), new Redis(suite.url), new Redis(suite.url)];
    const ctx = new RedisContext(client, prefix, 1000, false, reader);
    const bus = new RedisBus(ctx, subscriber);
    const store = new RedisSeatStore(ctx, bus);
    const topic = scheduleTopic(7);
    try {
      await store.createSchedule(7, { rows: 1, seatsPerRow: 4 });
      const held = await store.hold({
        scheduleId: 7,
        userId: 'u',
        seatIds: [2],
        now: Date.now(),
        ttlMs: 60_000,
        maxPerUser: 0,
      });
      // The command connection waits on a list that never fills: what is sent on it after queues.
      void client.blpop(`${prefix}never`, 0).catch(() => undefined);
      let holdSettled = false;
      const hold = { scheduleId: 7, userId: 'u', seatIds: [3], now: Date.now(), ttlMs: 60_000, maxPerUser: 0 };
      const queued = store.hold(hold).finally(() => (holdSettled = true));
      expect(await store.exists(7)).toBe(true);
      expect((await store.state(7)).seats.map((seat) => seat.status)).toEqual([
        'AVAILABLE',
        'HELD',
        'AVAILABLE',
        'AVAILABLE',
      ]);
      expect(await bus.head(topic)).toEqual(held.eventId);
      const history = await bus.readAfter(topic, { offset: 0, epoch: held.eventId.epoch });
      expect(history.kind === 'events' && history.events.map((event) => event.offset)).toEqual([1]);
      // All of that answered while the hold queued behind the blocked command is still waiting.
      expect(holdSettled).toBe(false);
      await expect(queued).rejects.toThrow();
    } finally {
      await bus.close();
      for (const connection of [client, reader, subscriber]) connection.disconnect();
    }
  });

  it('never joins a history read already sent: a resume asked after an append reads again, and has it', async () => {
    const prefix = suite.prefix('joins');
    const client = new Redis(suite.url);
    const subscriber = new Redis(suite.url);
    const bus = new RedisBus(new RedisContext(client, prefix, 1000, false), subscriber);
    const scripts = client as unknown as { busReadAfter(...args: unknown[]): Promise<string[]> };
    const readAfter = scripts.busReadAfter.bind(client);
    let sent = 0;
    // Each reply is held back 200 ms after Redis answered: a read stays out while an append resolves.
    scripts.busReadAfter = async (...args) => {
      sent++;
      const reply = await readAfter(...args);
      await new Promise((resolve) => setTimeout(resolve, 200));
      return reply;
    };
    const ids = (h: History) => (h.kind === 'events' ? h.events.map((e) => e.id) : h.kind);
    try {
      const first = await bus.append('t', '{"n":1}');
      const position = { offset: 1, epoch: first.epoch };
      const before = bus.readAfter('t', position);
      while (sent === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const second = await bus.append('t', '{"n":2}');
      // Asked after the append resolved: joining the read already out would miss event 2.
      const [after, alike] = await Promise.all([bus.readAfter('t', position), bus.readAfter('t', position)]);
      expect(ids(after)).toEqual([second.id]);
      expect(alike).toBe(after);
      expect(ids(await before)).toEqual([]);
      expect(sent).toBe(2);
    } finally {
      await bus.close();
      client.disconnect();
      subscriber.disconnect();
    }
  });
});
