import { Redis } from 'ioredis';
import type { RedisBus } from '../../src/backends/redis/redis-bus.js';
import { afterEach, describe, expect, it } from 'vitest';
import { SseClient } from '../support/sse-client.js';
import {
  eventually,
  get,
  hold,
  newGuest,
  release,
  startServer,
  streaming,
  type TestServer,
} from '../support/server.js';
import { redisServerAvailable, redisTestsEnabled, startRedis, type RedisProcess } from '../support/redis-server.js';
import { capturedLogger, hs256, JWT_SECRET } from '../support/trust.js';

// These tests kill and restart Redis, so they always use a redis-server of their own.
const enabled = redisTestsEnabled('Redis fault tests') && (redisServerAvailable() || process.env.CI === 'true');
const SECRET = 'a-session-secret-shared-by-all-instances';

describe.skipIf(!enabled)('Redis faults', () => {
  let redis: RedisProcess | undefined;
  let instances: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(instances.map((i) => i.close()));
    instances = [];
    await redis?.stop();
  });

  async function nodes(count: number, overrides = {}): Promise<TestServer[]> {
    for (let i = 0; i < count; i++) {
      instances.push(
        await startServer({ redisUrl: redis!.url, sessionSecret: SECRET, heartbeatMs: 200, ...overrides }),
      );
    }
    return instances;
  }

  it('loses no event when a subscriber connection is killed while another instance keeps publishing', async () => {
    redis = await startRedis();
    const [a, b] = await nodes(2);
    const viewer = await SseClient.connect(`${a!.url}/api/schedules/1/seats/events`);
    await streaming(a!, 1);
    const guest = await newGuest(b!.url);
    const admin = new Redis(redis.url);
    let published = 0;
    for (let round = 0; round < 20; round++) {
      await hold(b!.url, guest, [1]);
      await release(b!.url, guest, [1]);
      published += 2;
      if (round % 5 === 2) await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    }
    await viewer.waitForSeatEvents(published, 10_000);
    const recovered = (a!.app.seatstream.backend.bus as RedisBus).recovered;
    console.log(
      `pub/sub killed 4 times: ${published} events delivered, ${recovered} of them read back from the Stream`,
    );
    const events = viewer.seatEvents();
    const offsets = events.map((e) => Number(e.id.split('@')[0]));
    expect(offsets).toEqual(offsets.map((_, i) => offsets[0]! + i));
    expect(events.map((e) => e.status)).toEqual(events.map((_, i) => (i % 2 === 0 ? 'HELD' : 'AVAILABLE')));
    admin.disconnect();
    viewer.close();
  }, 30_000);

  it('answers 503 fast while Redis is down, keeps streams alive, heals with nothing missing (AOF)', async () => {
    redis = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
    const [a, b] = await nodes(2);
    const viewer = await SseClient.connect(`${a!.url}/api/schedules/1/seats/events`);
    await streaming(a!, 1);
    const guest = await newGuest(b!.url);
    await hold(b!.url, guest, [1]);
    await viewer.waitForSeatEvents(1);

    await redis.kill('SIGKILL');
    const started = Date.now();
    const refused = await hold(b!.url, guest, [2]);
    const refusedIn = Date.now() - started;
    expect(refused.status).toBe(503);
    expect(refused.body.error).toBe('UNAVAILABLE');
    expect(refusedIn).toBeLessThan(1_500);
    expect((await get(a!.url, '/readyz')).status).toBe(503);
    expect((await get(a!.url, '/healthz')).status).toBe(200);
    // The stream outlives the outage: heartbeats (every 200 ms) keep coming while Redis is down.
    const heartbeats = () => viewer.messages().filter((m) => m.isHeartbeat).length;
    const heartbeatsBefore = heartbeats();
    await viewer.waitFor((c) => c.ended || heartbeats() >= heartbeatsBefore + 2, 5_000, 'heartbeats in the outage');
    expect(viewer.ended).toBe(false);
    expect(heartbeats()).toBeGreaterThanOrEqual(heartbeatsBefore + 2);

    await redis.restart();
    const back = Date.now();
    await eventually(async () => expect((await hold(b!.url, guest, [3])).status).toBe(200), 10_000);
    const healedIn = Date.now() - back;
    console.log(`redis outage: 503 in ${refusedIn} ms; writes accepted again ${healedIn} ms after restart`);
    await viewer.waitForSeatEvents(2, 10_000);
    console.log(
      `after the outage: ${(a!.app.seatstream.backend.bus as RedisBus).recovered} events read back from the Stream`,
      'on the subscribing instance',
    );
    expect(viewer.events.some((e) => e.event === 'snapshot')).toBe(false);
    expect(viewer.seatEvents().map((e) => [e.scheduleSeatId, e.status])).toEqual([
      [1, 'HELD'],
      [3, 'HELD'],
    ]);
    // Nothing half-applied: seat 2 was refused and stays available.
    expect((await get(a!.url, '/api/schedules/1/seats')).body[1].status).toBe('AVAILABLE');
    viewer.close();
  }, 30_000);

  it('refuses a new stream while Redis is down (503, Retry-After); once it is back, one resumes, no gap', async () => {
    redis = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
    const [a] = await nodes(1);
    const guest = await newGuest(a!.url);
    const first = await hold(a!.url, guest, [1]);
    expect(first.status).toBe(200);
    await redis.kill('SIGKILL');
    // Whether the schedule exists cannot be known now: the answer is a 503 the client retries after.
    for (const path of ['/api/schedules/1/seats/events', '/api/events?schedules=1']) {
      const refused = await fetch(a!.url + path, {
        headers: { accept: 'text/event-stream', 'last-event-id': first.body.eventId },
      });
      expect([path, refused.status]).toEqual([path, 503]);
      expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await refused.json()).toEqual({ error: 'UNAVAILABLE', message: expect.any(String) });
    }
    expect(a!.app.seatstream.hub.topicCount).toBe(0); // nothing was subscribed for the refused streams

    await redis.restart();
    await eventually(async () => expect((await hold(a!.url, guest, [2])).status).toBe(200), 10_000);
    const client = await SseClient.connect(`${a!.url}/api/schedules/1/seats/events`, {
      'last-event-id': first.body.eventId,
    });
    expect(client.status).toBe(200);
    await streaming(a!, 1);
    // A later event: once it is here, everything between the resumed id and it has come, in order.
    const sentinel = await hold(a!.url, guest, [3]);
    await client.waitForSeatEvents(2, 10_000);
    expect(client.events.some((e) => e.event === 'snapshot' || e.event === 'error')).toBe(false);
    const events = client.seatEvents();
    expect(events.map((e) => [e.scheduleSeatId, e.status])).toEqual([
      [2, 'HELD'],
      [3, 'HELD'],
    ]);
    expect(events.at(-1)!.id).toBe(sentinel.body.eventId);
    const [offset, epoch] = first.body.eventId.split('@');
    expect(events.map((e) => e.id)).toEqual([`${Number(offset) + 1}@${epoch}`, `${Number(offset) + 2}@${epoch}`]);
    client.close();
  }, 30_000);

  it('refuses a new private stream while Redis is down (503, Retry-After), not a 200 that waits', async () => {
    redis = await startRedis();
    const [a] = await nodes(1, { authJwtSecret: JWT_SECRET });
    // A JWT buyer: unlike a guest token, its credential is checked without Redis.
    const jwt = await hs256({ sub: 'buyer-in-an-outage' });
    const before = await SseClient.connect(`${a!.url}/api/notifications/events`, { authorization: `Bearer ${jwt}` });
    expect(before.status).toBe(200);
    before.close();
    await redis.kill('SIGKILL');
    for (const [path, headers] of [
      ['/api/notifications/events', { authorization: `Bearer ${jwt}` }],
      [`/api/notifications/events?access_token=${jwt}`, {}],
      ['/api/events?schedules=1&notifications=true', { authorization: `Bearer ${jwt}` }],
    ] as const) {
      const refused = await fetch(a!.url + path, { headers: { accept: 'text/event-stream', ...headers } });
      expect([path, refused.status]).toEqual([path, 503]);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toEqual({ error: 'UNAVAILABLE', message: expect.any(String) });
    }
    await redis.restart();
    await eventually(async () => expect((await get(a!.url, '/readyz')).status).toBe(200), 10_000);
    const after = await SseClient.connect(`${a!.url}/api/notifications/events`, { authorization: `Bearer ${jwt}` });
    expect(after.status).toBe(200);
    after.close();
  }, 30_000);

  it('logs an outage once, as a warning without a stack, and the next one after the store answered again', async () => {
    redis = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
    const { lines, logger } = capturedLogger();
    instances.push(await startServer({ redisUrl: redis.url, sessionSecret: SECRET }, { logger }));
    const a = instances[0]!;
    const guest = await newGuest(a.url);
    const logged = () =>
      lines.map((line) => JSON.parse(line) as { level: number; msg: string; [key: string]: unknown });
    const outages = () => logged().filter((line) => /unreachable/.test(line.msg));

    await redis.kill('SIGKILL');
    for (let i = 0; i < 5; i++) expect((await hold(a.url, guest, [1])).status).toBe(503);
    expect((await get(a.url, '/api/schedules/1/seats')).status).toBe(503);
    expect(outages()).toHaveLength(1);
    expect(outages()[0]).toMatchObject({ level: 40, cause: expect.any(String) });
    expect(outages()[0]).not.toHaveProperty('err');
    expect(logged().filter((line) => line.level >= 50)).toEqual([]);

    await redis.restart();
    await eventually(async () => expect((await hold(a.url, guest, [1])).status).toBe(200), 10_000);
    await eventually(() => expect(logged().some((line) => /answers again/.test(line.msg))).toBe(true));
    expect(outages()).toHaveLength(1);

    await redis.kill('SIGKILL');
    expect((await hold(a.url, guest, [2])).status).toBe(503);
    expect((await hold(a.url, guest, [2])).status).toBe(503);
    expect(outages()).toHaveLength(2);
  }, 30_000);

  it('treats a hung Redis (SIGSTOP) as an outage: 503 within about a second, not a hang', async () => {
    redis = await startRedis();
    const [a] = await nodes(1);
    const guest = await newGuest(a!.url);
    expect((await hold(a!.url, guest, [1])).status).toBe(200);
    await redis.kill('SIGSTOP');
    try {
      const started = Date.now();
      const refused = await hold(a!.url, guest, [2]);
      const tookMs = Date.now() - started;
      console.log(`hung redis: 503 after ${tookMs} ms`);
      expect(refused.status).toBe(503);
      expect(tookMs).toBeLessThan(2_500); // the 1 s command timeout, plus a loaded machine's slack
      expect((await get(a!.url, '/readyz')).status).toBe(503);
    } finally {
      await redis.kill('SIGCONT');
    }
    await eventually(async () => expect((await get(a!.url, '/readyz')).status).toBe(200), 10_000);
    // The refused hold was not applied later.
    expect((await get(a!.url, '/api/schedules/1/seats')).body[1].status).toBe('AVAILABLE');
  }, 30_000);

  it('moves to a new epoch after a restart that lost history: resuming gets a snapshot, not a gap', async () => {
    redis = await startRedis(['--appendonly', 'yes', '--appendfsync', 'everysec']);
    const [a] = await nodes(1, { adminToken: 'admin-token-for-tests-0123' });
    const guest = await newGuest(a!.url);
    const first = await hold(a!.url, guest, [1]);
    await redis.kill('SIGKILL');
    await redis.restart();
    // Not every write was fsynced, so ids minted before the restart cannot be trusted any more.
    await eventually(async () => expect((await get(a!.url, '/readyz')).status).toBe(200), 10_000);
    await eventually(async () => expect((await get(a!.url, '/api/schedules/1/seats')).status).toBe(200), 10_000);
    const client = await SseClient.connect(`${a!.url}/api/schedules/1/seats/events`, {
      'last-event-id': first.body.eventId,
    });
    await client.waitFor((c) => c.events.length > 0);
    expect(client.events[0]!.event).toBe('snapshot');
    expect(client.events[0]!.id!.split('@')[1]).not.toBe(first.body.eventId.split('@')[1]);
    client.close();
  }, 30_000);

  it('after a restart without persistence: schedules restored, every client gets a new-epoch snapshot', async () => {
    redis = await startRedis(); // --save '' --appendonly no: a restart loses everything
    const ADMIN = 'admin-token-for-tests-0123';
    const [a, b] = await nodes(2, { adminToken: ADMIN, demo: false });
    const restore = () =>
      fetch(`${a!.url}/api/schedules/1`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ rows: 2, seatsPerRow: 10 }),
      });
    expect((await restore()).status).toBe(201);
    const guest = await newGuest(a!.url);
    const before = await hold(a!.url, guest, [1, 2]);
    const connected = await SseClient.connect(`${b!.url}/api/schedules/1/seats/events`, {
      'last-event-id': before.body.eventId,
    });
    await streaming(b!, 1);

    await redis.kill('SIGKILL');
    await redis.restart();
    await eventually(async () => expect((await get(a!.url, '/readyz')).status).toBe(200), 10_000);
    expect((await get(a!.url, '/api/schedules/1/seats')).status).toBe(404); // the seat map itself is gone
    expect((await restore()).status).toBe(201);
    expect((await hold(a!.url, guest, [5])).status).toBe(200);

    // The connected client resyncs from a snapshot of the new epoch, never applying offsets of the new
    // epoch on top of the old map.
    await connected.waitFor((c) => c.events.some((e) => e.event === 'snapshot'), 10_000);
    const snapshot = connected.events.find((e) => e.event === 'snapshot')!;
    expect(snapshot.id!.split('@')[1]).not.toBe(before.body.eventId.split('@')[1]);
    const seats = JSON.parse(snapshot.data).seats as Array<{ id: number; status: string }>;
    expect(seats.filter((s) => s.status !== 'AVAILABLE').map((s) => s.id)).toEqual([5]);
    // A client resuming with an id from before the restart gets a snapshot too.
    const resumed = await SseClient.connect(`${a!.url}/api/schedules/1/seats/events`, {
      'last-event-id': before.body.eventId,
    });
    await resumed.waitFor((c) => c.events.length > 0);
    expect(resumed.events[0]!.event).toBe('snapshot');
    connected.close();
    resumed.close();
  }, 30_000);
});
