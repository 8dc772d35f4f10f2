import { describe, expect, it } from 'vitest';
import type { WindowCounters } from '../../src/auth/counters.js';
import type { RevocationList } from '../../src/auth/revocations.js';
import { memoryBackend } from '../../src/backends/memory/memory-backend.js';
import { redisTestsEnabled } from '../support/redis-server.js';
import { suiteRedis } from '../support/suite-redis.js';

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

describe.skipIf(!redisTestsEnabled('Redis counters and revocations'))('Redis', () => {
  const redis = suiteRedis();
  describeLimitState('redis', () => redis.backend({ replayLimit: 10 }));
});
