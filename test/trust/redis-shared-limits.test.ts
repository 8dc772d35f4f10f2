import { afterAll, describe, expect, it } from 'vitest';
import { redisTestsEnabled } from '../support/redis-server.js';
import { startServer, type TestServer } from '../support/server.js';
import { suiteRedis } from '../support/suite-redis.js';
import { ADMIN, bearer, call, SESSION_SECRET } from '../support/trust.js';

const enabled = redisTestsEnabled('limits across instances');

/** On Redis the limits are the deployment's, not each instance's: two instances count together. */
describe.skipIf(!enabled)('limits across two instances on one Redis', () => {
  const redis = suiteRedis();
  const instances: TestServer[] = [];
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.close()));
  });

  const pair = async (overrides = {}) => {
    const prefix = redis.prefix('trust-limits');
    const config = { redisUrl: redis.url, redisKeyPrefix: prefix, sessionSecret: SESSION_SECRET, rateLimits: true };
    const started = [await startServer({ ...config, ...overrides }), await startServer({ ...config, ...overrides })];
    instances.push(...started);
    return started as [TestServer, TestServer];
  };

  it('sessions per minute are counted across both instances', async () => {
    const [a, b] = await pair({ sessionsPerMinute: 10 });
    const statuses: number[] = [];
    // Alternating between the instances: a per-instance limit would allow 20.
    for (let i = 0; i < 20; i++) {
      statuses.push((await call((i % 2 ? b : a).url, '/api/session', { method: 'POST' })).status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.slice(10).every((s) => s === 429)).toBe(true);
  });

  it('guesses at the service token sent in parallel to both instances get no further than the limit', async () => {
    const [a, b] = await pair({ adminToken: ADMIN, authFailuresPerMinute: 3 });
    const guesses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        call((i % 2 ? b : a).url, '/api/schedules/70', {
          method: 'PUT',
          body: { rows: 1, seatsPerRow: 5 },
          headers: bearer(`${ADMIN.slice(0, -3)}${i}xy`),
        }),
      ),
    );
    const statuses = guesses.map((g) => g.status);
    // Each guess is counted before it is checked: at most the limit are even looked at.
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(37);
  });

  it('failed service authentications are counted across both instances', async () => {
    const [a, b] = await pair({ adminToken: ADMIN, authFailuresPerMinute: 3 });
    const put = (server: TestServer, token: string) =>
      call(server.url, '/api/schedules/5', {
        method: 'PUT',
        body: { rows: 1, seatsPerRow: 1 },
        headers: bearer(token),
      });
    expect((await put(a, 'wrong-token-0123456789a')).status).toBe(401);
    expect((await put(b, 'wrong-token-0123456789b')).status).toBe(401);
    expect((await put(a, 'wrong-token-0123456789c')).status).toBe(401);
    expect((await put(b, ADMIN)).status).toBe(429);
  });
});
