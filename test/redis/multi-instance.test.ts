import { Cluster } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { BuildOptions } from '../../src/http/app.js';
import { SseClient } from '../support/sse-client.js';
import { get, hold, newGuest, release, startServer, streaming, type TestServer } from '../support/server.js';
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

    async function cluster(
      count: number,
      overrides = {},
      prefix = uniquePrefix('multi'),
      options: BuildOptions = {},
    ): Promise<TestServer[]> {
      prefixes.push(prefix);
      const started: TestServer[] = [];
      for (let i = 0; i < count; i++) {
        started.push(
          await startServer(
            {
              ...deployment.connection,
              redisKeyPrefix: prefix,
              sessionSecret: SECRET,
              adminToken: ADMIN,
              ...overrides,
            },
            options,
          ),
        );
      }
      instances.push(...started);
      return started;
    }

    it('delivers every event of a schedule to subscribers on every instance once, in the same order', async () => {
      const nodes = await cluster(3);
      const viewers = await Promise.all(
        nodes.flatMap((n) => [n, n].map((m) => SseClient.connect(`${m.url}/api/schedules/1/seats/events`))),
      );
      for (const node of nodes) await streaming(node, 1, 2);
      const guests = await Promise.all(nodes.map((n) => newGuest(n.url)));
      // Holds and releases made on every instance, interleaved.
      for (let round = 0; round < 5; round++) {
        await Promise.all(nodes.map((n, i) => hold(n.url, guests[i]!, [round * 3 + i + 1])));
      }
      await Promise.all(nodes.map((n, i) => release(n.url, guests[i]!, [i + 1])));
      // A sentinel after them all: once a viewer has it, a duplicate or a late event would have come first.
      const sentinel = await hold(nodes[1]!.url, guests[1]!, [200]);
      const total = 18 + 1;
      for (const viewer of viewers) await viewer.waitForSeatEvents(total);
      const reference = viewers[0]!.seatEvents().map((e) => `${e.id} ${e.scheduleSeatId} ${e.status}`);
      expect(reference).toHaveLength(total);
      expect(reference.at(-1)).toBe(`${sentinel.body.eventId} 200 HELD`);
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
      for (const id of [1, 2, 3, 4]) await streaming(nodes[(id - 1) % 2]!, id);
      expect(nodes[0]!.app.seatstream.hub.topicCount + nodes[1]!.app.seatstream.hub.topicCount).toBe(4);
      const guest = await newGuest(nodes[0]!.url);
      for (const id of [1, 2, 3, 4]) {
        expect((await hold(nodes[id % 2]!.url, guest, [id, id + 1], id)).status).toBe(200);
      }
      // Sentinels instead of a sleep, in two rounds. After the first, every instance has had every
      // schedule's events from Redis (each channel is in order); the second is written to each stream
      // after anything the instance could have misrouted to it.
      for (const seat of [9, 10]) {
        for (const id of [1, 2, 3, 4]) expect((await hold(nodes[id % 2]!.url, guest, [seat], id)).status).toBe(200);
        for (const viewer of viewers)
          await viewer.waitFor((c) => c.seatEvents().some((e) => e.scheduleSeatId === seat));
      }
      for (const [i, viewer] of viewers.entries()) {
        expect(viewer.seatEvents().map((e) => [e.scheduleId, e.scheduleSeatId])).toEqual([
          [i + 1, i + 1],
          [i + 1, i + 2],
          [i + 1, 9],
          [i + 1, 10],
        ]);
        viewer.close();
      }
    });

    it('resumes on another instance with no gap and no duplicate', async () => {
      const [a, b] = await cluster(2);
      const guest = await newGuest(a!.url);
      const onA = await SseClient.connect(`${a!.url}/api/schedules/1/seats/events`);
      await streaming(a!, 1);
      await hold(a!.url, guest, [1, 2]);
      await onA.waitForSeatEvents(2);
      onA.close();
      await hold(b!.url, guest, [3]);
      await release(a!.url, guest, [1]);
      const onB = await SseClient.connect(`${b!.url}/api/schedules/1/seats/events`, {
        'last-event-id': onA.lastEventId!,
      });
      await onB.waitForSeatEvents(2);
      await streaming(b!, 1);
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
      await streaming(green!, 1);
      const guest = await newGuest(blue!.url);
      expect((await hold(blue!.url, guest, [8])).status).toBe(200);
      // Green's own sentinel, on a channel that differs from blue's by the prefix only: its events
      // would have come first.
      const sentinel = await hold(green!.url, await newGuest(green!.url), [9]);
      await greenViewer.waitForSeatEvents(1);
      expect(greenViewer.seatEvents()).toEqual([
        expect.objectContaining({ id: sentinel.body.eventId, scheduleSeatId: 9, status: 'HELD' }),
      ]);
      expect(greenViewer.events.filter((e) => e.event !== 'message')).toEqual([]); // no resync either
      expect((await get(green!.url, '/api/schedules/1/seats')).body[7].status).toBe('AVAILABLE');
      expect((await get(blue!.url, '/api/schedules/1/seats')).body[7].status).toBe('HELD');
      greenViewer.close();
    });

    it('lets exactly one of 200 concurrent holds of one seat spread over 3 instances win; events agree', async () => {
      const nodes = await cluster(3);
      const viewer = await SseClient.connect(`${nodes[0]!.url}/api/schedules/1/seats/events`);
      await streaming(nodes[0]!, 1);
      const guests = await Promise.all(Array.from({ length: 200 }, (_, i) => newGuest(nodes[i % 3]!.url)));
      const results = await Promise.all(guests.map((g, i) => hold(nodes[i % 3]!.url, g, [77])));
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      expect(results.filter((r) => r.status === 409)).toHaveLength(199);
      const sentinel = await hold(nodes[2]!.url, guests[2]!, [78]);
      await viewer.waitForSeatEvents(2);
      expect(viewer.seatEvents()).toEqual([
        expect.objectContaining({ scheduleSeatId: 77, status: 'HELD' }),
        expect.objectContaining({ id: sentinel.body.eventId, scheduleSeatId: 78, status: 'HELD' }),
      ]);
      viewer.close();
    });

    it('expires a hold once with 3 instances sweeping at the same time: exactly one AVAILABLE event', async () => {
      // One clock for all three, moved by the test; their own sweepers stay off.
      let skew = 0;
      const clock = () => Date.now() + skew;
      const nodes = await cluster(3, { holdTtlMs: 60_000, holdSweepMs: 3_600_000 }, undefined, { clock });
      const viewer = await SseClient.connect(`${nodes[1]!.url}/api/schedules/1/seats/events`);
      await streaming(nodes[1]!, 1);
      const guest = await newGuest(nodes[0]!.url);
      expect((await hold(nodes[0]!.url, guest, [50])).status).toBe(200);
      expect(await Promise.all(nodes.map((n) => n.app.seatstream.seats.expireDue()))).toEqual([0, 0, 0]);
      skew = 60_000;
      const expired = await Promise.all(nodes.map((n) => n.app.seatstream.seats.expireDue()));
      expect(expired.reduce((a, b) => a + b)).toBe(1);
      expect(await Promise.all(nodes.map((n) => n.app.seatstream.seats.expireDue()))).toEqual([0, 0, 0]);
      const sentinel = await hold(nodes[2]!.url, guest, [51]);
      await viewer.waitForSeatEvents(3);
      expect(viewer.seatEvents().map((e) => [e.scheduleSeatId, e.status])).toEqual([
        [50, 'HELD'],
        [50, 'AVAILABLE'],
        [51, 'HELD'],
      ]);
      expect(viewer.seatEvents()[2]!.id).toBe(sentinel.body.eventId);
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
