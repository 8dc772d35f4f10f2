import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { RedisBus } from '../../src/backends/redis/redis-bus.js';
import { topicKeys } from '../../src/backends/redis/redis-context.js';
import type { Metrics } from '../../src/http/metrics.js';
import { encodeSeatEvent } from '../../src/protocol/seat-events.js';
import { scheduleTopic } from '../../src/seats/seat-events.js';
import { redisTestsEnabled } from '../support/redis-server.js';
import { SseClient } from '../support/sse-client.js';
import { eventually, hold, newGuest, startServer, streaming, type TestServer } from '../support/server.js';
import { suiteRedis } from '../support/suite-redis.js';

const enabled = redisTestsEnabled('metrics over Redis');
const SECRET = 'a-session-secret-shared-by-all-instances';

/** A series of one of the app's metrics (histograms: `_count`, `_sum`). */
async function value(metric: { get(): Promise<{ values: { metricName?: string; value: number }[] }> }, name: string) {
  return (await metric.get()).values.find((v) => (v.metricName ?? name) === name)?.value;
}

describe.skipIf(!enabled)('metrics of the Redis bus', () => {
  const redis = suiteRedis();
  let instances: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(instances.map((i) => i.close()));
    instances = [];
  });

  async function two(prefix: string): Promise<TestServer[]> {
    for (let i = 0; i < 2; i++) {
      instances.push(await startServer({ redisUrl: redis.url, redisKeyPrefix: prefix, sessionSecret: SECRET }));
    }
    return instances;
  }

  it("times pub/sub from the append (Redis's clock) to this instance's receipt, and on to the socket", async () => {
    const [watching, writing] = await two(redis.prefix('metrics-lag'));
    const viewer = await SseClient.connect(`${watching!.url}/api/schedules/1/seats/events`);
    await streaming(watching!, 1);
    const guest = await newGuest(writing!.url);
    const started = performance.now();
    await hold(writing!.url, guest, [5]);
    await viewer.waitForSeatEvents(1);
    const elapsed = (performance.now() - started) / 1000;

    const metrics: Metrics = watching!.app.seatstream.metrics;
    const lag = metrics.pubsubLag;
    expect(await value(lag, 'seatstream_redis_pubsub_lag_seconds_count')).toBe(1);
    const lagSum = (await value(lag, 'seatstream_redis_pubsub_lag_seconds_sum'))!;
    expect(lagSum).toBeGreaterThanOrEqual(0);
    expect(lagSum).toBeLessThanOrEqual(elapsed + 0.002); // ms clocks, one machine
    const write = metrics.sseWrites.latency;
    expect(await value(write, 'seatstream_publish_to_write_seconds_count')).toBe(1);
    expect(await value(write, 'seatstream_publish_to_write_seconds_sum')).toBeGreaterThanOrEqual(lagSum);
    // The writing instance follows no topic: it received nothing.
    expect(await value(writing!.app.seatstream.metrics.pubsubLag, 'seatstream_redis_pubsub_lag_seconds_count')).toBe(0);
    expect(await value(metrics.eventsRecovered, 'seatstream_events_recovered_total')).toBe(0);
    // The hold's event was appended by the writing instance's seat script, past its bus: counted there.
    const appended = (server: TestServer) =>
      value(server.app.seatstream.metrics.eventsAppended, 'seatstream_events_appended_total');
    expect(await appended(writing!)).toBe(1);
    expect(await appended(watching!)).toBe(0);
    viewer.close();
  });

  it('counts the events read back from the Stream because pub/sub lost them', async () => {
    const prefix = redis.prefix('metrics-recovered');
    const [watching] = await two(prefix);
    const viewer = await SseClient.connect(`${watching!.url}/api/schedules/1/seats/events`);
    await streaming(watching!, 1);
    // An event stored as the scripts store one, whose pub/sub message never went out: a lost message.
    const admin = new Redis(redis.url);
    const keys = topicKeys(prefix, scheduleTopic(1));
    const offset = await admin.hincrby(keys.meta, 'offset', 1);
    await admin.xadd(keys.stream, `${offset}-0`, 'd', encodeSeatEvent(1, 7, 'HELD', Date.now()), 't', Date.now());
    admin.disconnect();

    // The bus's head check finds it within a second and reads it back.
    await viewer.waitForSeatEvents(1, 5_000);
    expect(viewer.seatEvents()[0]!.id.split('@')[0]).toBe(String(offset));
    const bus = watching!.app.seatstream.backend.bus as RedisBus;
    const recovered = watching!.app.seatstream.metrics.eventsRecovered;
    await eventually(async () => expect(await value(recovered, 'seatstream_events_recovered_total')).toBe(1));
    expect(bus.recovered).toBe(1);
    expect(await value(watching!.app.seatstream.metrics.pubsubLag, 'seatstream_redis_pubsub_lag_seconds_count')).toBe(
      0,
    );
    viewer.close();
  });

  it('reads the messages and Stream entries of a version without append times, and times none of them', async () => {
    const prefix = redis.prefix('metrics-untimed');
    const [watching] = await two(prefix);
    const viewer = await SseClient.connect(`${watching!.url}/api/schedules/1/seats/events`);
    await streaming(watching!, 1);
    // As an instance before append times wrote them: `d` only, and `<offset> <epoch> <data>`; the first
    // message is lost, so the second reveals a gap that is read back from the Stream.
    const admin = new Redis(redis.url);
    const keys = topicKeys(prefix, scheduleTopic(1));
    const epoch = await admin.hget(keys.meta, 'epoch');
    for (const seat of [7, 8]) {
      const offset = await admin.hincrby(keys.meta, 'offset', 1);
      const data = encodeSeatEvent(1, seat, 'HELD', Date.now());
      await admin.xadd(keys.stream, `${offset}-0`, 'd', data);
      if (seat === 8) await admin.publish(keys.channel, `${offset} ${epoch} ${data}`);
    }
    admin.disconnect();

    await viewer.waitForSeatEvents(2);
    expect(viewer.seatEvents().map((e) => [e.id.split('@')[1], e.scheduleSeatId])).toEqual([
      [epoch, 7],
      [epoch, 8],
    ]);
    const { metrics } = watching!.app.seatstream;
    expect(await value(metrics.pubsubLag, 'seatstream_redis_pubsub_lag_seconds_count')).toBe(0);
    expect(await value(metrics.sseWrites.latency, 'seatstream_publish_to_write_seconds_count')).toBe(0);
    viewer.close();
  });
});
