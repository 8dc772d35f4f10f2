import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisTestsEnabled } from '../support/redis-server.js';
import { newGuest, startServer, type TestServer } from '../support/server.js';
import { suiteRedis } from '../support/suite-redis.js';
import { bearer, call } from '../support/trust.js';

const enabled = redisTestsEnabled('unknown schedules write nothing to Redis');

/**
 * A request for a schedule that does not exist creates nothing in Redis. Run with the rate limits
 * ON, as in production: their `count:` window keys are expected and excluded from the count;
 * every other key under the prefix must be exactly as before.
 */
describe.skipIf(!enabled)('requests for schedules that do not exist (Redis)', () => {
  const redis = suiteRedis();
  let server: TestServer;
  let client: Redis;
  let prefix: string;
  beforeAll(async () => {
    prefix = redis.prefix('trust-unknown');
    client = new Redis(redis.url);
    server = await startServer({ redisUrl: redis.url, redisKeyPrefix: prefix, rateLimits: true });
  });
  afterAll(async () => {
    await server?.close();
    client?.disconnect();
  });

  const keys = async () => {
    const all = await client.keys(`${prefix}*`);
    return {
      limits: all.filter((k) => k.startsWith(`${prefix}count:`)).length,
      others: all.filter((k) => !k.startsWith(`${prefix}count:`)).sort(),
    };
  };

  it('200 requests (seat map, hold, stream) leave every key but the limit counters unchanged', async () => {
    const guests = await Promise.all([1, 2, 3].map(() => newGuest(server.url)));
    const before = await keys();
    expect(before.others.length).toBeGreaterThan(0); // the demo schedule is there: the count is not vacuous
    const statuses = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const scheduleId = 1000 + i;
      const kind = i % 3;
      const response =
        kind === 0
          ? await call(server.url, `/api/schedules/${scheduleId}/seats`)
          : kind === 1
            ? await call(server.url, `/api/schedules/${scheduleId}/seats/hold`, {
                method: 'POST',
                body: { seatIds: [1, 2] },
                headers: bearer(guests[Math.floor(i / 3) % guests.length]!.token),
              })
            : await call(server.url, `/api/schedules/${scheduleId}/seats/events?snapshot=true`);
      const key = `${['seats', 'hold', 'stream'][kind]} ${response.status} ${response.body?.error}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
    }
    const after = await keys();
    expect(after.others).toEqual(before.others);
    expect(after.limits).toBeGreaterThan(0); // the limits were on, and counted
    expect(Object.fromEntries(statuses)).toEqual({
      'seats 404 SCHEDULE_NOT_FOUND': 67,
      'hold 404 SCHEDULE_NOT_FOUND': 67,
      'stream 404 SCHEDULE_NOT_FOUND': 66,
    });
  });
});
