import { afterAll, beforeAll } from 'vitest';
import type { Backend } from '../../src/backends/backend.js';
import { redisBackend } from '../../src/backends/redis/redis-backend.js';
import { dropPrefixes, type RedisProcess, startRedis, uniquePrefix } from './redis-server.js';

export interface SuiteRedis {
  /** The Redis URL (set once the suite's `beforeAll` ran). */
  readonly url: string;
  /** A key prefix of the suite's own, dropped after the suite when the Redis is shared. */
  prefix(name: string): string;
  /** A Redis backend on it (under a new prefix unless one is given), closed after the suite. */
  backend(options?: { replayLimit?: number; prefix?: string }): Promise<Backend>;
}

/**
 * The Redis of a suite: `TEST_REDIS_URL`, or a redis-server of its own started before the suite
 * and stopped after it. Prefixes it hands out are dropped afterwards, so a shared Redis is left
 * as it was. Call it at the top of a describe block guarded by `redisTestsEnabled`.
 */
export function suiteRedis(): SuiteRedis {
  let redis: RedisProcess | undefined;
  let url = '';
  const prefixes: string[] = [];
  const backends: Backend[] = [];
  beforeAll(async () => {
    url = process.env.TEST_REDIS_URL ?? (redis = await startRedis()).url;
  });
  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()));
    if (url && !redis) await dropPrefixes(url, prefixes);
    await redis?.stop();
  });
  const suite: SuiteRedis = {
    get url() {
      return url;
    },
    prefix(name) {
      const prefix = uniquePrefix(name);
      prefixes.push(prefix);
      return prefix;
    },
    async backend({ replayLimit = 1000, prefix = suite.prefix('backend') } = {}) {
      const created = await redisBackend({
        redisUrl: url,
        redisClusterNodes: undefined,
        redisKeyPrefix: prefix,
        replayLimit,
      });
      backends.push(created);
      return created;
    },
  };
  return suite;
}
