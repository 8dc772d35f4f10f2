/**
 * The kit's Redis key prefixes: a fresh one per started deployment, so tests share one Redis (a
 * container, a developer's redis-server) without seeing each other's schedules, and its keys are
 * deleted afterwards by SCAN + UNLINK of that prefix alone: never FLUSHDB, the Redis may hold
 * other data.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** `seatstream-test:<time>-<random>:` (REDIS_KEY_PREFIX's characters; braces would be a hash tag). */
export function uniqueKeyPrefix(): string {
  return `seatstream-test:${Date.now().toString(36)}-${randomBytes(6).toString('hex')}:`;
}

/** Every key under the prefix (SCAN: it does not block Redis as KEYS would). */
export async function keysWithPrefix(redisUrl: string, prefix: string): Promise<string[]> {
  const found: string[] = [];
  await withRedis(redisUrl, (redis) =>
    scanPrefix(redis, prefix, async (keys) => {
      found.push(...keys);
    }),
  );
  return found;
}

/** Deletes every key under the prefix; returns how many there were. */
export async function dropKeyPrefix(redisUrl: string, prefix: string): Promise<number> {
  // An empty prefix would match every key of the database.
  if (prefix === '') throw new Error('Refusing to drop the empty key prefix: that is every key');
  let dropped = 0;
  await withRedis(redisUrl, (redis) =>
    scanPrefix(redis, prefix, async (keys) => {
      dropped += await redis.unlink(...keys);
    }),
  );
  return dropped;
}

async function scanPrefix(redis: Redis, prefix: string, batch: (keys: string[]) => Promise<void>): Promise<void> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) await batch(keys);
    cursor = next;
  } while (cursor !== '0');
}

async function withRedis(redisUrl: string, use: (redis: Redis) => Promise<void>): Promise<void> {
  // A short-lived connection: give up soon rather than retry forever when Redis is gone.
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => (attempt > 3 ? null : 100),
  });
  try {
    await redis.connect();
    await use(redis);
  } finally {
    redis.disconnect();
  }
}
