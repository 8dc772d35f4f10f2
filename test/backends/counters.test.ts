import { afterAll, describe, expect, it } from 'vitest';
import type { WindowCounters } from '../../src/auth/counters.js';
import type { RevocationList } from '../../src/auth/revocations.js';
import type { Backend } from '../../src/backends/backend.js';
import { memoryBackend } from '../../src/backends/memory/memory-backend.js';
import { redisBackend } from '../../src/backends/redis/redis-backend.js';
import {
  dropPrefixes,
  type RedisProcess,
  redisTestsEnabled,
  startRedis,
  uniquePrefix,
} from '../support/redis-server.js';

/** What rate limits and logouts rely on, the same in every backend. */
function describeLimitState(
  name: string,
  create: () => Promise<{ counters: WindowCounters; revocations: RevocationList }>,
) {
  describe(`window counters and revocations: ${name}`, () => {
    it('counts hits in a window that starts with the first and ends by itself', async () => {
      const { counters } = await create();
      expect(await counters.peek('k')).toEqual({ count: 0, ttlMs: 0 });
      expect((await counters.increment('k', 300)).count).toBe(1);
      const second = await counters.increment('k', 300);
      expect(second.count).toBe(2);
      expect(second.ttlMs).toBeGreaterThan(0);
      expect(second.ttlMs).toBeLessThanOrEqual(300);
      expect((await counters.peek('k')).count).toBe(2);
      expect((await counters.increment('other', 300)).count).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, second.ttlMs + 20)); // the window's own end
      expect((await counters.peek('k')).count).toBe(0);
      expect((await counters.increment('k', 300)).count).toBe(1);
    });

    it('keeps a revocation until the credential would have expired', async () => {
      const { revocations } = await create();
      expect(await revocations.isRevoked('t1')).toBe(false);
      await revocations.revoke('t1', Date.now() + 60_000);
      await revocations.revoke('t2', Date.now() - 1); // already expired: nothing to keep
      expect(await revocations.isRevoked('t1')).toBe(true);
      expect(await revocations.isRevoked('t2')).toBe(false);
    });
  });
}

describeLimitState('memory', async () => memoryBackend({ replayLimit: 10 }));

const enabled = redisTestsEnabled('Redis counters and revocations');
const redis: RedisProcess | undefined = enabled && !process.env.TEST_REDIS_URL ? await startRedis() : undefined;
const url = process.env.TEST_REDIS_URL ?? redis?.url;
const backends: Backend[] = [];
const prefixes: string[] = [];
afterAll(async () => {
  await Promise.all(backends.map((b) => b.close()));
  if (url && !redis) await dropPrefixes(url, prefixes);
  await redis?.stop();
});

describe.skipIf(!enabled)('Redis', () => {
  describeLimitState('redis', async () => {
    const prefix = uniquePrefix('limits');
    prefixes.push(prefix);
    const backend = await redisBackend({
      redisUrl: url,
      redisClusterNodes: undefined,
      redisKeyPrefix: prefix,
      replayLimit: 10,
    });
    backends.push(backend);
    return backend;
  });
});
