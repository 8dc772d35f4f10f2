import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SseClient } from '../support/sse-client.js';
import { eventually, get, hold, newGuest, startServer, streaming, type TestServer } from '../support/server.js';
import {
  type RedisProcess,
  redisServerAvailable,
  redisTestsEnabled,
  startRedis,
  uniquePrefix,
} from '../support/redis-server.js';

// One test restarts Redis, so the suite uses a redis-server of its own.
const enabled =
  redisTestsEnabled('schedule import over Redis') && (redisServerAvailable() || process.env.CI === 'true');
const ADMIN = 'admin-token-for-tests-0123';
const SECRET = 'a-session-secret-shared-by-all-instances';

async function api(url: string, method: 'GET' | 'PUT' | 'DELETE', path: string, body?: unknown) {
  const response = await fetch(url + path, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const statuses = async (url: string, id: number) =>
  ((await get(url, `/api/schedules/${id}/seats`)).body as Array<{ id: number; status: string }>)
    .filter((s) => s.status !== 'AVAILABLE')
    .map((s) => `${s.id} ${s.status}`);

/** Seats 2, 4, … 60: the 30 the operator's records hold as sold. */
const SOLD = Array.from({ length: 30 }, (_, i) => 2 * (i + 1));
const LAYOUT = { rows: 5, seatsPerRow: 20 };

describe.skipIf(!enabled)('the schedule API on two instances over one Redis', () => {
  let redis: RedisProcess;
  let instances: TestServer[] = [];
  beforeAll(async () => {
    redis = await startRedis(); // --save '' --appendonly no: a restart loses everything
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    await Promise.all(instances.map((i) => i.close()));
    instances = [];
  });

  async function two(name: string): Promise<[TestServer, TestServer]> {
    const prefix = uniquePrefix(name);
    const config = { redisUrl: redis.url, redisKeyPrefix: prefix, sessionSecret: SECRET, adminToken: ADMIN };
    for (let i = 0; i < 2; i++) instances.push(await startServer({ ...config, demo: false, heartbeatMs: 200 }));
    return [instances[0]!, instances[1]!];
  }

  it('imports 30 reserved seats: every instance shows them, one event each; a repeat sends none', async () => {
    const [a, b] = await two('import');
    expect((await api(a.url, 'PUT', '/api/schedules/1', LAYOUT)).status).toBe(201);
    const viewer = await SseClient.connect(`${b.url}/api/schedules/1/seats/events`);
    await streaming(b, 1);
    const imported = await api(a.url, 'PUT', '/api/schedules/1', { ...LAYOUT, reserved: SOLD });
    expect(imported.status).toBe(200);
    expect(imported.body).toMatchObject({ outcome: 'updated', reserved: SOLD, events: 30 });
    const expected = SOLD.map((id) => `${id} RESERVED`);
    expect(await statuses(a.url, 1)).toEqual(expected);
    expect(await statuses(b.url, 1)).toEqual(expected);
    await viewer.waitForSeatEvents(30);
    expect(viewer.seatEvents().map((e) => `${e.scheduleSeatId} ${e.status}`)).toEqual(expected);
    expect(viewer.seatEvents().at(-1)!.id).toBe(imported.body.eventId);

    const again = await api(b.url, 'PUT', '/api/schedules/1', { ...LAYOUT, reserved: [...SOLD].reverse() });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ outcome: 'unchanged', reserved: [], events: 0, eventId: imported.body.eventId });
    // A later event, made on the other instance: once it is here, nothing came from the repeat.
    const guest = await newGuest(a.url);
    const sentinel = await hold(a.url, guest, [1]);
    await viewer.waitForSeatEvents(31);
    expect(viewer.seatEvents()).toHaveLength(31);
    expect(viewer.seatEvents().at(-1)).toMatchObject({ id: sentinel.body.eventId, scheduleSeatId: 1 });

    const list = await api(b.url, 'GET', '/api/schedules');
    expect(list.body.schedules).toEqual([
      {
        scheduleId: 1,
        ...LAYOUT,
        seats: 100,
        available: 69,
        held: 1,
        reserved: 30,
        lastEventId: sentinel.body.eventId,
      },
    ]);
    viewer.close();
  }, 30_000);

  it('after a Redis restart without persistence, an import restores the map: clients resync, new epoch', async () => {
    const [a, b] = await two('restore');
    const first = await api(a.url, 'PUT', '/api/schedules/1', { ...LAYOUT, reserved: SOLD });
    expect(first.status).toBe(201);
    const guest = await newGuest(a.url);
    await hold(a.url, guest, [1]);
    const viewers = [
      await SseClient.connect(`${a.url}/api/schedules/1/seats/events`),
      await SseClient.connect(`${b.url}/api/events?schedules=1`),
    ];
    await streaming(a, 1);
    await streaming(b, 1);

    await redis.kill('SIGKILL');
    await redis.restart();
    for (const node of [a, b])
      await eventually(async () => expect((await get(node.url, '/readyz')).status).toBe(200), 10_000);
    expect((await get(b.url, '/api/schedules/1/seats')).status).toBe(404);
    expect((await api(b.url, 'GET', '/api/schedules')).body).toEqual({ schedules: [] });

    const restored = await api(b.url, 'PUT', '/api/schedules/1', { ...LAYOUT, reserved: SOLD });
    expect(restored.status).toBe(201);
    expect(restored.body).toMatchObject({ outcome: 'created', reserved: SOLD, events: 30 });
    expect(restored.body.eventId.split('@')[1]).not.toBe(first.body.eventId.split('@')[1]);
    for (const viewer of viewers) {
      await viewer.waitFor((c) => c.events.some((e) => e.event === 'snapshot'), 10_000, 'a snapshot');
      const snapshot = viewer.events.find((e) => e.event === 'snapshot')!;
      expect(snapshot.id).toBe(restored.body.eventId);
      const seats = JSON.parse(snapshot.data).seats as Array<{ id: number; status: string }>;
      // The operator's records, not the lost hold of seat 1.
      expect(seats.filter((s) => s.status !== 'AVAILABLE').map((s) => `${s.id} ${s.status}`)).toEqual(
        SOLD.map((id) => `${id} RESERVED`),
      );
      expect(viewer.ended).toBe(false);
    }
    expect(await statuses(a.url, 1)).toEqual(SOLD.map((id) => `${id} RESERVED`));
    for (const viewer of viewers) viewer.close();
  }, 30_000);

  it('deletes a schedule: streams on both instances end with `event: deleted`, then all is 404', async () => {
    const [a, b] = await two('delete');
    await api(a.url, 'PUT', '/api/schedules/1', LAYOUT);
    await api(a.url, 'PUT', '/api/schedules/2', LAYOUT);
    const ending = [a, b].flatMap((node) => [
      SseClient.connect(`${node.url}/api/schedules/1/seats/events`),
      SseClient.connect(`${node.url}/api/events?schedules=2,1`),
    ]);
    const clients = await Promise.all(ending);
    const other = await SseClient.connect(`${b.url}/api/schedules/2/seats/events`);
    for (const node of [a, b]) await streaming(node, 1, 2);
    await streaming(b, 2, 2);
    await streaming(a, 2, 1);

    expect((await api(a.url, 'DELETE', '/api/schedules/1')).status).toBe(204);
    for (const client of clients) {
      await client.waitForEnd();
      expect(client.withoutHeartbeats().at(-1)).toMatchObject({ event: 'deleted', data: '{"scheduleId":1}' });
      expect(client.events.filter((e) => e.event === 'error' || e.event === 'snapshot')).toEqual([]);
    }
    const guest = await newGuest(a.url);
    const sentinel = await hold(a.url, guest, [1], 2);
    await other.waitForSeatEvents(1);
    expect(other.seatEvents()[0]!.id).toBe(sentinel.body.eventId);
    expect(other.ended).toBe(false);

    for (const node of [a, b]) {
      expect((await get(node.url, '/api/schedules/1/seats')).status).toBe(404);
      const stream = await SseClient.connect(`${node.url}/api/schedules/1/seats/events`);
      expect(stream.status).toBe(404);
      stream.close();
      expect((await api(node.url, 'DELETE', '/api/schedules/1')).status).toBe(404);
      expect((await api(node.url, 'GET', '/api/schedules')).body.schedules.map((s: any) => s.scheduleId)).toEqual([2]);
    }
    other.close();
  }, 30_000);
});
