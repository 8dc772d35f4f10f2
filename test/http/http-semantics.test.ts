import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.js';
import { memoryBackend } from '../../src/backends/memory/memory-backend.js';
import { StorageUnavailableError } from '../../src/bus/unavailable-error.js';
import { seatstream } from '../../src/index.js';
import { SseClient } from '../support/sse-client.js';
import { newGuest, startServer, testConfig, type TestServer } from '../support/server.js';
import { ADMIN, bearer, call, from, hs256, JWT_SECRET, SESSION_SECRET } from '../support/trust.js';

const METRICS_TOKEN = 'http-semantics-metrics-token';
const CHALLENGE = 'Bearer realm="seatstream"';
const REFUSED = 'Bearer realm="seatstream", error="invalid_token"';

/** The answer to a method a known path does not take. */
async function expectMethodNotAllowed(
  answer: { status: number; headers: Headers; body: unknown },
  allow: string,
  what: string,
) {
  expect([what, answer.status, answer.headers.get('allow')]).toEqual([what, 405, allow]);
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  expect(answer.body).toEqual({ error: 'METHOD_NOT_ALLOWED', message: expect.any(String) });
}

describe('405 with Allow for a known path asked with a method it does not take', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ adminToken: ADMIN });
  });
  afterAll(() => server.close());

  it.each([
    ['DELETE', '/api/schedules/1/seats', 'GET, HEAD'],
    ['PUT', '/api/schedules/1/seats', 'GET, HEAD'],
    ['POST', '/api/schedules', 'GET, HEAD'],
    ['GET', '/api/schedules/1/seats/hold', 'POST'],
    ['PATCH', '/api/schedules/1', 'PUT, DELETE'],
    ['GET', '/api/session', 'POST, DELETE'],
    ['POST', '/healthz', 'GET, HEAD'],
    ['DELETE', '/openapi.json', 'GET, HEAD'],
  ])('%s %s: 405, Allow: %s', async (method, path, allow) => {
    await expectMethodNotAllowed(await call(server.url, path, { method }), allow, `${method} ${path}`);
  });

  it('HEAD of a path without GET is a 405 too (no body, as for any HEAD)', async () => {
    const answer = await fetch(`${server.url}/api/schedules/1/seats/hold`, { method: 'HEAD' });
    expect([answer.status, answer.headers.get('allow')]).toEqual([405, 'POST']);
  });

  it('is refused before the body is read: a body the route would refuse (text/plain) changes nothing', async () => {
    const answer = await fetch(`${server.url}/api/schedules/1/seats`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', ...bearer(ADMIN) },
      body: 'not json at all',
    });
    await expectMethodNotAllowed(
      { status: answer.status, headers: answer.headers, body: await answer.json() },
      'GET, HEAD',
      'POST text/plain',
    );
  });

  it.each([
    ['GET', '/api/nope'],
    ['POST', '/api/schedules/1/seats/steal'],
    ['GET', '/no-such-page.html'],
    ['OPTIONS', '/api/schedules/1/seats'],
  ])('an unknown path (or OPTIONS without CORS) stays a 404: %s %s', async (method, path) => {
    const answer = await call(server.url, path, { method });
    expect([answer.status, answer.body?.error, answer.headers.get('allow')]).toEqual([404, 'NOT_FOUND', null]);
  });

  it('with CORS_ORIGINS, a preflight is still answered (OPTIONS is CORS’s)', async () => {
    const cors = await startServer({ corsOrigins: ['https://shop.example'] });
    try {
      const preflight = await fetch(`${cors.url}/api/schedules/1/seats/hold`, {
        method: 'OPTIONS',
        headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).toBe(204);
      const wrong = await call(cors.url, '/api/schedules/1/seats/hold', {
        headers: { origin: 'https://shop.example' },
      });
      expect([wrong.status, wrong.headers.get('access-control-allow-origin')]).toEqual([405, 'https://shop.example']);
    } finally {
      await cors.close();
    }
  });

  it('GUEST_SESSIONS=off: POST /api/session stays a 404 (the route is gone), other methods are 405', async () => {
    const off = await startServer({ guestSessions: false, authJwtSecret: JWT_SECRET });
    try {
      const gone = await call(off.url, '/api/session', { method: 'POST' });
      expect([gone.status, gone.body.error]).toEqual([404, 'NOT_FOUND']);
      await expectMethodNotAllowed(await call(off.url, '/api/session', { method: 'PATCH' }), 'DELETE', 'PATCH');
    } finally {
      await off.close();
    }
  });

  describe('embedded in an operator’s app', () => {
    let host: FastifyInstance;
    let url: string;
    beforeAll(async () => {
      host = Fastify();
      host.get('/api/orders/:id', async () => ({ total: 42 }));
      await host.register(seatstream, { config: testConfig() });
      await host.listen({ port: 0, host: '127.0.0.1' });
      url = `http://127.0.0.1:${(host.server.address() as { port: number }).port}`;
    });
    afterAll(() => host.close());

    it("answers 405 for seatstream's paths, and leaves the host's paths and 404s alone", async () => {
      await expectMethodNotAllowed(
        await call(url, '/api/schedules/1/seats', { method: 'DELETE' }),
        'GET, HEAD',
        'DELETE',
      );
      // The host's own route and its unknown paths: fastify's default 404, not seatstream's.
      const hostRoute = await call(url, '/api/orders/7', { method: 'DELETE' });
      expect([hostRoute.status, hostRoute.headers.get('allow')]).toEqual([404, null]);
      expect(hostRoute.body).toMatchObject({ statusCode: 404 });
      expect((await call(url, '/api/nope', { method: 'DELETE' })).status).toBe(404);
    });
  });
});

describe('WWW-Authenticate on every 401', () => {
  let server: TestServer;
  let revoked: string;
  beforeAll(async () => {
    server = await startServer({
      adminToken: ADMIN,
      metricsToken: METRICS_TOKEN,
      authJwtSecret: JWT_SECRET,
      sessionSecret: SESSION_SECRET,
    });
    revoked = (await newGuest(server.url)).token;
    await call(server.url, '/api/session', { method: 'DELETE', headers: bearer(revoked) });
  });
  afterAll(() => server.close());

  const hold = { method: 'POST', body: { seatIds: [1] } };
  it.each([
    ['a buyer route without a credential', '/api/schedules/1/seats/hold', hold, CHALLENGE],
    ['a service route without a credential', '/api/schedules', {}, CHALLENGE],
    ['a private stream without a credential', '/api/notifications/events', {}, CHALLENGE],
    ['/metrics without a token', '/metrics', {}, CHALLENGE],
    ['a token that is no credential', '/api/schedules/1/seats/hold', { ...hold, headers: bearer('nope') }, REFUSED],
    ['a revoked guest token', '/api/schedules/1/seats/hold', () => ({ ...hold, headers: bearer(revoked) }), REFUSED],
    [
      'an expired JWT',
      '/api/schedules/1/seats/hold',
      async () => ({ ...hold, headers: bearer(await expired()) }),
      REFUSED,
    ],
    [
      'a bad guest cookie',
      '/api/notifications/events',
      { headers: { cookie: 'seatstream_session=guest-x.1.y' } },
      REFUSED,
    ],
    ['a bad ?access_token= on a stream', '/api/schedules/1/seats/events?access_token=nope', {}, REFUSED],
    ['/metrics with a wrong token', '/metrics', { headers: bearer('wrong-metrics-token') }, REFUSED],
  ])('%s: 401 with %s', async (_what, path, options, challenge) => {
    const resolved = typeof options === 'function' ? await options() : options;
    const answer = await call(server.url, path, resolved as Parameters<typeof call>[2]);
    expect([answer.status, answer.body?.error]).toEqual([401, 'UNAUTHORIZED']);
    expect(answer.headers.get('www-authenticate')).toBe(challenge);
  });

  it('no challenge where the answer is not a 401 (a buyer on a service route is 403)', async () => {
    const guest = await newGuest(server.url);
    const answer = await call(server.url, '/api/schedules', { headers: bearer(guest.token) });
    expect([answer.status, answer.headers.get('www-authenticate')]).toEqual([403, null]);
  });
});

function expired(): Promise<string> {
  return hs256({ sub: 'someone' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 });
}

describe('Retry-After on every 429', () => {
  let server: TestServer | undefined;
  const streams: SseClient[] = [];
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await server?.close();
    server = undefined;
  });

  /** The header and the body's `retryAfter` say the same number of seconds. */
  function expectRetryAfter(answer: { status: number; headers: Headers; body: any }, what: string) {
    expect([what, answer.status, answer.body.error]).toEqual([what, 429, 'RATE_LIMITED']);
    const seconds = Number(answer.headers.get('retry-after'));
    expect(seconds, what).toBeGreaterThanOrEqual(1);
    expect(answer.body.retryAfter, what).toBe(seconds);
  }

  it('session creation, mutations, failed service authentications, the stream cap', async () => {
    server = await startServer({
      rateLimits: true,
      sessionsPerMinute: 2,
      mutationsPerUserPerMinute: 1,
      authFailuresPerMinute: 1,
      maxStreamsPerIp: 1,
      adminToken: ADMIN,
      trustProxy: ['127.0.0.1'],
    });
    const { url } = server;
    const guest = await newGuest(url);
    await newGuest(url);
    expectRetryAfter(await call(url, '/api/session', { method: 'POST' }), 'sessions');

    const hold = { method: 'POST', body: { seatIds: [3] }, headers: { ...bearer(guest.token), ...from('192.0.2.7') } };
    expect((await call(url, '/api/schedules/1/seats/hold', hold)).status).toBe(200);
    expectRetryAfter(await call(url, '/api/schedules/1/seats/hold', hold), 'mutations');

    const put = { method: 'PUT', body: { rows: 1, seatsPerRow: 2 }, headers: from('192.0.2.8') };
    expect(
      (await call(url, '/api/schedules/9', { ...put, headers: { ...put.headers, ...bearer('wrong') } })).status,
    ).toBe(401);
    expectRetryAfter(
      await call(url, '/api/schedules/9', { ...put, headers: { ...put.headers, ...bearer(ADMIN) } }),
      'auth failures',
    );

    streams.push(await SseClient.connect(`${url}/api/schedules/1/seats/events`, from('192.0.2.9')));
    expect(streams[0]!.status).toBe(200);
    const capped = await call(url, '/api/schedules/1/seats/events', { headers: from('192.0.2.9') });
    expectRetryAfter(capped, 'stream cap');
    expect(capped.headers.get('retry-after')).toBe('5');
  });
});

/**
 * The memory backend, except that while `down` every call to its store, bus, revocations and
 * counters fails as a Redis that cannot be reached does (subscribing and closing aside).
 */
function unreachableBackend(): { backend: Backend; setDown(down: boolean): void } {
  const real = memoryBackend({ replayLimit: 100 });
  let down = false;
  const fails = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(object, key) {
        const value = Reflect.get(object, key, object) as unknown;
        if (typeof value !== 'function' || key === 'subscribe' || key === 'close') return value;
        return (...args: unknown[]) =>
          down
            ? Promise.reject(new StorageUnavailableError(new Error('connect ECONNREFUSED 127.0.0.1:6379')))
            : (value as (...a: unknown[]) => unknown).apply(object, args);
      },
    });
  const backend: Backend = {
    kind: 'flaky',
    bus: fails(real.bus),
    store: fails(real.store),
    revocations: fails(real.revocations),
    counters: fails(real.counters),
    isReady: async () => !down,
    close: () => real.close(),
  };
  return { backend, setDown: (value) => void (down = value) };
}

describe('Retry-After on every 503', () => {
  const { backend, setDown } = unreachableBackend();
  let server: TestServer;
  let guest: { token: string };
  let jwt: string;
  beforeAll(async () => {
    server = await startServer({ adminToken: ADMIN, authJwtSecret: JWT_SECRET }, { backend });
    guest = await newGuest(server.url);
    jwt = await hs256({ sub: 'buyer-7' });
    setDown(true);
  });
  afterAll(async () => {
    setDown(false);
    await server.close();
  });

  const service = () => bearer(ADMIN);
  const seatIds = { seatIds: [1] };
  it.each([
    ['GET', '/api/schedules/1/seats', undefined, () => ({})],
    ['POST', '/api/schedules/1/seats/hold', seatIds, () => bearer(guest.token)],
    ['POST', '/api/schedules/1/seats/release', seatIds, () => bearer(jwt)],
    ['POST', '/api/schedules/1/seats/reserve', { ...seatIds, userId: 'u', orderId: 'o-1' }, service],
    ['POST', '/api/demo/schedules/1/checkout', seatIds, () => bearer(jwt)],
    ['PUT', '/api/schedules/3', { rows: 1, seatsPerRow: 3 }, service],
    ['GET', '/api/schedules', undefined, service],
    ['DELETE', '/api/schedules/1', undefined, service],
    ['POST', '/api/users/u/notifications', { data: 1 }, service],
    ['DELETE', '/api/users/u/streams', undefined, service],
    ['DELETE', '/api/session', undefined, () => bearer(guest.token)],
    ['GET', '/api/schedules/1/seats/events', undefined, () => ({ accept: 'text/event-stream' })],
    ['GET', '/api/events?schedules=1', undefined, () => ({ accept: 'text/event-stream' })],
    ['GET', '/api/notifications/events', undefined, () => ({ accept: 'text/event-stream', ...bearer(jwt) })],
  ])('%s %s: 503 UNAVAILABLE, Retry-After: 1', async (method, path, body, headers) => {
    const answer = await call(server.url, path, { method, body, headers: headers() });
    expect([answer.status, answer.body?.error]).toEqual([503, 'UNAVAILABLE']);
    expect(answer.headers.get('retry-after')).toBe('1');
  });

  it('/readyz: 503 with its own body, and Retry-After', async () => {
    const answer = await call(server.url, '/readyz');
    expect([answer.status, answer.body.status, answer.headers.get('retry-after')]).toEqual([503, 'not ready', '1']);
  });
});
