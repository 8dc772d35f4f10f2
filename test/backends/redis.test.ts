import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.js';
import { memoryBackend } from '../../src/backends/memory/memory-backend.js';
import { redisBackend } from '../../src/backends/redis/redis-backend.js';
import { scheduleTopic } from '../../src/seats/seat-events.js';
import {
  dropPrefixes,
  type RedisProcess,
  redisTestsEnabled,
  startRedis,
  uniquePrefix,
} from '../support/redis-server.js';
import { describeEventBusContract } from './event-bus.contract.js';
import { describeSeatStoreContract } from './seat-store.contract.js';

const enabled = redisTestsEnabled('Redis store and bus contracts');
// TEST_REDIS_URL (a Redis the user's CI provides) or a redis-server of our own.
const redis: RedisProcess | undefined = enabled && !process.env.TEST_REDIS_URL ? await startRedis() : undefined;
const url = process.env.TEST_REDIS_URL ?? redis?.url;
const backends: Backend[] = [];
const prefixes: string[] = [];

async function backend(replayLimit: number): Promise<Backend> {
  const prefix = uniquePrefix('contract');
  prefixes.push(prefix);
  const created = await redisBackend({
    redisUrl: url,
    redisClusterNodes: undefined,
    redisKeyPrefix: prefix,
    replayLimit,
  });
  backends.push(created);
  return created;
}

afterAll(async () => {
  await Promise.all(backends.map((b) => b.close()));
  if (url && !redis) await dropPrefixes(url, prefixes);
  await redis?.stop();
});

describe.skipIf(!enabled)('Redis', () => {
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
      await b.store.reserve({ scheduleId: S, userId: 'alice', seatIds: [1], now: T0 + 2 });
      await b.store.hold({ ...hold, userId: 'bob', seatIds: [3], now: T0 + 3 });
      await b.store.expireDue(T0 + 60_003);
      const head = await b.bus.head(scheduleTopic(S));
      const history = await b.bus.readAfter(scheduleTopic(S), { offset: 0, epoch: head.epoch });
      if (history.kind !== 'events') throw new Error('history unavailable');
      return history.events.map((e) => e.data);
    };
    const memory = await run(memoryBackend({ replayLimit: 1000 }));
    expect(memory).toHaveLength(8);
    expect(await run(await backend(1000))).toEqual(memory);
  });
});
