import { afterAll, describe } from 'vitest';
import { redisBackend, type Backend } from '../../src/backend.js';
import { describeEventBusContract } from '../contracts/event-bus.contract.js';
import { describeSeatStoreContract } from '../contracts/seat-store.contract.js';
import {
  dropPrefixes,
  redisTestsEnabled,
  startRedis,
  uniquePrefix,
  type RedisProcess,
} from '../support/redis-server.js';

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
  describeSeatStoreContract('redis', async () => {
    const { store, bus } = await backend(1000);
    return { store, bus };
  });
  describeEventBusContract('RedisBus', async (replayLimit) => (await backend(replayLimit)).bus);
});
