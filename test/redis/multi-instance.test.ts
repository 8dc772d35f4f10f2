import { Cluster } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { SseClient } from '../support/sse-client.js';
import { eventually, get, hold, newGuest, release, startServer, type TestServer } from '../support/server.js';
import {
  redisServerAvailable,
  redisTestsEnabled,
  startRedis,
  startRedisCluster,
  uniquePrefix,
  dropPrefixes,
} from '../support/redis-server.js';

const enabled = redisTestsEnabled('multi-instance over Redis');
const SECRET = 'a-session-secret-shared-by-all-instances';
const ADMIN = 'admin-token-for-tests-0123';
/** Every key prefix the suites used, dropped afterwards from a shared TEST_REDIS_URL. */
const prefixes: string[] = [];

interface Deployment {
  connection: Partial<Config>;
  stop(): Promise<void>;
}

/** One suite, run on a single Redis and on a 3-master Redis Cluster. */
function describeInstances(name: string, deploy: () => Promise<Deployment>, enabledHere: boolean): void {
  describe.skipIf(!enabledHere)(name, () => {
    let deployment: Deployment;
    let instances: TestServer[] = [];

    beforeAll(async () => {
      deployment = await deploy();
    });
    afterAll(async () => {
      await deployment?.stop();
    });
    afterEach(async () => {
      await Promise.all(instances.map((i) => i.close()));
      instances = [];
    });

    async function cluster(count: number, overrides = {}, prefix = uniquePrefix('multi')): Promise<TestServer[]> {
      prefixes.push(prefix);
      const started: TestServer[] = [];
      for (let i = 0; i < count; i++) {
        started.push(
          await startServer({
            ...deployment.connection,
            redisKeyPrefix: prefix,
            sessionSecret: SECRET,
            adminToken: ADMIN,
            ...overrides,
          }),
        );
      }
      instances.push(...started);
      return started;
    }

    it('delivers every event of a schedule to subscribers on every instance exactly once, in the same order', async () => {
      const nodes = await cluster(3);
      const viewers = await Promise.all(
        nodes.flatMap((n) => [n, n].map((m) => SseClient.connect(`${m.url}/api/schedules/1/seats/events`))),
      );
      await eventually(() =>
        nodes.forEach((n) => {
          expect(n.app.seatstream.hub.topicCount).toBe(1);
        }),
      );
      const guests = await Promise.all(nodes.map((n) => newGuest(n.url)));
      // Holds and releases made on every instance, interleaved.
      for (let round = 0; round < 5; round++) {
        await Promise.all(nodes.map((n, i) => hold(n.url, guests[i]!, [round * 3 + i + 1])));
      }
      await Promise.all(nodes.map((n, i) => release(n.url, guests[i]!, [i + 1])));
      const total = 18;
      for (const viewer of viewers) await viewer.waitForSeatEvents(total);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const reference = viewers[0]!.seatEvents().map((e) => `${e.id} ${e.scheduleSeatId} ${e.status}`);
      expect(reference).toHaveLength(total);
      expect(new Set(reference).size).toBe(total);
      const offsets = viewers[0]!.seatEvents().map((e) => Number(e.id.split('@')[0]));
      expect(offsets).toEqual(offsets.map((_, i) => offsets[0]! + i));
      for (const viewer of viewers)
        expect(viewer.seatEvents().map((e) => `${e.id} ${e.scheduleSeatId} ${e.status}`)).toEqual(reference);
      // The final state agrees with the events, seen from any instance.
      const seats = (await get(nodes[2]!.url, '/api/schedules/1/seats')).body as Array<{ id: number; status: string }>;
      const last = new Map<number, string>();
      for (const e of viewers[0]!.seatEvents()) last.set(e.scheduleSeatId, e.status);
      for (const [seat, status] of last) expect(seats[seat - 1]!.status).toBe(status);
      viewers.forEach((v) => {
        v.close();
      });
    });

    it("keeps each schedule's events to its own subscribers when schedules live on different shards", async () => {
      const nodes = await cluster(2);
      for (const id of [2, 3, 4]) {
        const created = await fetch(`${nodes[0]!.url}/api/schedules/${id}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ rows: 1, seatsPerRow: 10 }),
        });
        expect(created.status).toBe(201);
      }
      if (deployment.connection.redisClusterNodes) {
        const [host, port] = deployment.connection.redisClusterNodes[0]!.split(':');
        const admin = new Cluster([{ host: host!, port: Number(port) }]);
        const owners = new Set<string>();
        const slots = (await admin.cluster('SLOTS')) as unknown as Array<[number, number, [string, number]]>;
        for (const id of [1, 2, 3, 4]) {
          const slot = (await admin.cluster('KEYSLOT', `{schedule:${id}}`)) as number;
          owners.add(String(slots.find(([from, to]) => slot >= from && slot <= to)![2][1]));
        }
        admin.disconnect();
        expect(owners.size).toBeGreaterThan(1); // the test really spans shards
      }
      const viewers = await Promise.all(
        [1, 2, 3, 4].map((id, i) => SseClient.connect(`${nodes[i % 2]!.url}/api/schedules/${id}/seats/events`)),
      );
      await eventually(() =>
        expect(nodes[0]!.app.seatstream.hub.topicCount + nodes[1]!.app.seatstream.hub.topicCount).toBe(4),
      );
      const guest = await newGuest(nodes[0]!.url);
      for (const id of [1, 2, 3, 4]) {
        expect((await hold(nodes[id % 2]!.url, guest, [id, id + 1], id)).status).toBe(200);
      }
      for (const [i, viewer] of viewers.entries()) {
        await viewer.waitForSeatEvents(2);
        expect(viewer.seatEvents().map((e) => [e.scheduleId, e.scheduleSeatId])).toEqual([
          [i + 1, i + 1],
          [i + 1, i + 2],
        ]);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      for (const viewer of viewers) {
        expect(viewer.seatEvents()).toHaveLength(2);
        viewer.close();
      }
    });

    it('resumes on another instance with no gap and no duplicate', async () => {
      const [a, b] = await cluster(2);
      const guest = await newGuest(a!.url);
      const onA = await SseClient.connect(`${a!.url}/api/schedules/1/seats/events`);
      await eventually(() => expect(a!.app.seatstream.hub.topicCount).toBe(1));
      await hold(a!.url, guest, [1, 2]);
      await onA.waitForSeatEvents(2);
      onA.close();
      await hold(b!.url, guest, [3]);
      await release(a!.url, guest, [1]);
      const onB = await SseClient.connect(`${b!.url}/api/schedules/1/seats/events`, {
        'last-event-id': onA.lastEventId!,
      });
      await onB.waitForSeatEvents(2);
      await hold(a!.url, guest, [4]);
      await onB.waitForSeatEvents(3);
      expect(onB.events.some((e) => e.event === 'snapshot')).toBe(false);
      expect(onB.seatEvents().map((e) => [e.scheduleSeatId, e.status])).toEqual([
        [3, 'HELD'],
        [1, 'AVAILABLE'],
        [4, 'HELD'],
      ]);
      onB.close();
    });

    it('keeps deployments with different key prefixes apart on one Redis', async () => {
      const [blue] = await cluster(1, {}, uniquePrefix('blue'));
      const [green] = await cluster(1, {}, uniquePrefix('green'));
      const greenViewer = await SseClient.connect(`${green!.url}/api/schedules/1/seats/events`);
      await eventually(() => expect(green!.app.seatstream.hub.topicCount).toBe(1));
      const guest = await newGuest(blue!.url);
      expect((await hold(blue!.url, guest, [8])).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(greenViewer.seatEvents()).toEqual([]);
      expect((await get(green!.url, '/api/schedules/1/seats')).body[7].status).toBe('AVAILABLE');
      expect((await get(blue!.url, '/api/schedules/1/seats')).body[7].status).toBe('HELD');
      greenViewer.close();
    });

    it('lets exactly one of 200 concurrent holds of one seat spread over 3 instances win; events agree', async () => {
      const nodes = await cluster(3);
      const viewer = await SseClient.connect(`${nodes[0]!.url}/api/schedules/1/seats/events`);
      await eventually(() => expect(nodes[0]!.app.seatstream.hub.topicCount).toBe(1));
      const guests = await Promise.all(Array.from({ length: 200 }, (_, i) => newGuest(nodes[i % 3]!.url)));
      const results = await Promise.all(guests.map((g, i) => hold(nodes[i % 3]!.url, g, [77])));
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      expect(results.filter((r) => r.status === 409)).toHaveLength(199);
      await viewer.waitForSeatEvents(1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(viewer.seatEvents()).toEqual([expect.objectContaining({ scheduleSeatId: 77, status: 'HELD' })]);
      viewer.close();
    });

    it('expires a hold once with 3 instances sweeping: exactly one AVAILABLE event', async () => {
      const nodes = await cluster(3, { holdTtlMs: 1_000, holdSweepMs: 20 });
      const viewer = await SseClient.connect(`${nodes[1]!.url}/api/schedules/1/seats/events`);
      await eventually(() => expect(nodes[1]!.app.seatstream.hub.topicCount).toBe(1));
      const guest = await newGuest(nodes[0]!.url);
      await hold(nodes[0]!.url, guest, [50]);
      await viewer.waitForSeatEvents(2, 5_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(viewer.seatEvents().map((e) => [e.scheduleSeatId, e.status])).toEqual([
        [50, 'HELD'],
        [50, 'AVAILABLE'],
      ]);
      viewer.close();
    });
  });
}

describeInstances(
  'several instances on one Redis',
  async () => {
    const shared = process.env.TEST_REDIS_URL;
    if (shared) return { connection: { redisUrl: shared }, stop: () => dropPrefixes(shared, prefixes) };
    const redis = await startRedis();
    return { connection: { redisUrl: redis.url }, stop: () => redis.stop() };
  },
  enabled,
);

// A Cluster needs restartable servers of our own: TEST_REDIS_URL cannot stand in for it.
describeInstances(
  'several instances on a 3-master Redis Cluster',
  async () => {
    const cluster = await startRedisCluster(3);
    return { connection: { redisClusterNodes: cluster.nodes }, stop: () => cluster.stop() };
  },
  enabled && (redisServerAvailable() || process.env.CI === 'true'),
);
