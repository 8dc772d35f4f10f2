import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GUEST_COOKIE } from '../../src/http/authenticate.js';
import { redisTestsEnabled } from '../support/redis-server.js';
import { hold, newGuest, startServer, type TestServer } from '../support/server.js';
import { suiteRedis } from '../support/suite-redis.js';
import { bearer, call, SESSION_SECRET } from '../support/trust.js';

describe('logout', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ sessionSecret: SESSION_SECRET });
  });
  afterAll(() => server.close());

  it('DELETE /api/session is 204, clears the cookie, and the token is refused afterwards', async () => {
    const guest = await newGuest(server.url);
    expect((await hold(server.url, guest, [1])).status).toBe(200);
    const out = await call(server.url, '/api/session', { method: 'DELETE', headers: bearer(guest.token) });
    expect(out.status).toBe(204);
    const cookie = out.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(new RegExp(`^${GUEST_COOKIE}=;`));
    expect(cookie).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/i);

    const refused = await hold(server.url, guest, [2]);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('UNAUTHORIZED');
    // As a cookie (from our own page) too, and a new session is a new user.
    const asCookie = await call(server.url, '/api/schedules/1/seats/hold', {
      method: 'POST',
      body: { seatIds: [2] },
      headers: { cookie: `${GUEST_COOKIE}=${guest.token}`, origin: server.url },
    });
    expect(asCookie.status).toBe(401);
    const again = await call(server.url, '/api/session', {
      method: 'POST',
      headers: { cookie: `${GUEST_COOKIE}=${guest.token}` },
    });
    expect(again.status).toBe(200);
    expect(again.body.userId).not.toBe(guest.userId);
  });

  it('with the cookie from our own page: 204 and refused afterwards', async () => {
    const guest = await newGuest(server.url);
    const headers = { cookie: `${GUEST_COOKIE}=${guest.token}`, origin: server.url };
    expect((await call(server.url, '/api/session', { method: 'DELETE', headers })).status).toBe(204);
    expect((await hold(server.url, guest, [3])).status).toBe(401);
  });
});

const enabled = redisTestsEnabled('logout across instances');

describe.skipIf(!enabled)('logout across instances (Redis)', () => {
  const redis = suiteRedis();
  let instances: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(instances.map((i) => i.close()));
    instances = [];
  });

  it('a logout on one instance is refused on the other', async () => {
    const config = { redisUrl: redis.url, redisKeyPrefix: redis.prefix('trust-logout'), sessionSecret: SESSION_SECRET };
    instances = [await startServer(config), await startServer(config)];
    const [a, b] = instances as [TestServer, TestServer];
    const guest = await newGuest(a.url);
    expect((await hold(b.url, guest, [1])).status).toBe(200); // the same secret: valid on both
    expect((await call(a.url, '/api/session', { method: 'DELETE', headers: bearer(guest.token) })).status).toBe(204);
    const refused = await hold(b.url, guest, [2]);
    expect(refused.status).toBe(401);
    expect((await hold(a.url, guest, [2])).status).toBe(401);
  });
});
