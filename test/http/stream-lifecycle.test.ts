import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryBackend } from '../../src/backends/memory/memory-backend.js';
import { defaultConfig } from '../../src/config.js';
import { scheduleTopic } from '../../src/seats/seat-events.js';
import { SseClient } from '../support/sse-client.js';
import {
  eventually,
  get,
  hold,
  newGuest,
  readMetrics,
  startServer,
  streaming,
  type TestServer,
} from '../support/server.js';

const EVENTS = '/api/schedules/1/seats/events';
const METRICS_TOKEN = 'test-metrics-token-0123456789';

describe('stream lifecycle', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('tears a subscription down when the client disconnects: no subscriber, topic removed', async () => {
    server = await startServer({ metricsToken: METRICS_TOKEN });
    const { hub } = server.app.seatstream;
    const clients = await Promise.all([1, 2].map(() => SseClient.connect(server!.url + EVENTS)));
    await eventually(() => expect(hub.subscriberCount(scheduleTopic(1))).toBe(2));
    expect(hub.topicCount).toBe(1);
    clients[0]!.close();
    await eventually(() => expect(hub.subscriberCount(scheduleTopic(1))).toBe(1));
    expect(hub.topicCount).toBe(1);
    clients[1]!.close();
    await eventually(() => expect(hub.topicCount).toBe(0));
    expect(hub.subscriberCount(scheduleTopic(1))).toBe(0);
    const metrics = await readMetrics(server.url, METRICS_TOKEN);
    expect(metrics).toMatch(/^seatstream_sse_connections 0$/m);
    expect(metrics).toMatch(/^seatstream_sse_connections_total 2$/m);
  });

  it('ends a stream on the sweep after its lifetime (80–100 % of the limit) with a retry hint', async () => {
    server = await startServer({ sseMaxLifetimeMs: 10_000, sseRetryMs: 2_500 });
    const { hub } = server.app.seatstream;
    const topic = scheduleTopic(1);
    // The hub's timers and clock are fake; the sockets are real. Time starts on a whole second.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(Math.ceil(Date.now() / 1000) * 1000);
    try {
      const random = vi.spyOn(Math, 'random');
      random.mockReturnValue(0); // the shortest lifetime: 80 % of the limit
      const shortest = await SseClient.connect(server.url + EVENTS);
      await streaming(server, 1, 1);
      random.mockReturnValue(0.999_999); // the longest: just under 100 %
      const longest = await SseClient.connect(server.url + EVENTS);
      await streaming(server, 1, 2);
      random.mockRestore();

      // The sweep completes streams synchronously, so the counts below are exact at each instant.
      vi.advanceTimersByTime(7_999);
      expect(hub.subscriberCount(topic)).toBe(2);
      vi.advanceTimersByTime(1);
      expect(hub.subscriberCount(topic)).toBe(1);
      await shortest.waitForEnd();
      expect(shortest.retries.at(-1)).toBe(2_500);
      expect(shortest.bareRetries).toBe(0); // the hint rides on a data heartbeat
      expect(longest.ended).toBe(false);
      vi.advanceTimersByTime(1_999);
      expect(hub.subscriberCount(topic)).toBe(1);
      vi.advanceTimersByTime(1);
      expect(hub.subscriberCount(topic)).toBe(0);
      expect(hub.topicCount).toBe(0);
      await longest.waitForEnd();
      expect(longest.retries.at(-1)).toBe(2_500);
    } finally {
      vi.useRealTimers();
    }
  });

  it.each([
    ['both', true, true],
    ['comment', true, false],
    ['data', false, true],
  ] as const)('sends heartbeats in the %s style without ids', async (style, comment, data) => {
    server = await startServer({ heartbeatMs: 100, heartbeatStyle: style });
    // Fake before the stream opens: the hub starts its heartbeat timer for the first connection.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const client = await SseClient.connect(server.url + EVENTS);
      await streaming(server, 1);
      // One heartbeat per 100 ms, written when the timer fires.
      vi.advanceTimersByTime(100);
      const heartbeats = () => client.messages().filter((m) => m.isHeartbeat);
      const comments = () => client.comments.filter((c) => c === 'heartbeat');
      await client.waitFor(() => (!comment || comments().length > 0) && (!data || heartbeats().length > 0));
      expect(client.lastEventId).toBeUndefined();
      // A seat event written after the heartbeat: once it is here, nothing else of the heartbeat is on its way.
      const guest = await newGuest(server.url);
      const sentinel = await hold(server.url, guest, [1]);
      await client.waitForSeatEvents(1);
      expect(client.lastEventId).toBe(sentinel.body.eventId);
      expect(comments()).toHaveLength(comment ? 1 : 0);
      expect(heartbeats()).toHaveLength(data ? 1 : 0);
      expect(client.events.filter((e) => e.id !== undefined)).toEqual([
        expect.objectContaining({ id: sentinel.body.eventId }),
      ]);
      if (data) expect(heartbeats()[0]).toMatchObject({ scheduleSeatId: -1, status: null, isHeartbeat: true });
      client.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('on shutdown turns readiness off and tells clients to retry soon, with jitter', async () => {
    server = await startServer();
    expect((await get(server.url, '/readyz')).status).toBe(200);
    const clients = await Promise.all([1, 2, 3].map(() => SseClient.connect(server!.url + EVENTS)));
    await server.close();
    server = undefined;
    for (const client of clients) {
      await client.waitForEnd();
      const retry = client.retries.at(-1)!;
      expect(retry).toBeGreaterThanOrEqual(250);
      expect(retry).toBeLessThanOrEqual(1_250);
    }
  });

  it('ends the stream with an error event, not a crash, when the snapshot cannot be read', async () => {
    const backend = memoryBackend(defaultConfig);
    const failing = Object.create(backend.store) as typeof backend.store;
    failing.state = async () => {
      throw new Error('store unavailable');
    };
    server = await startServer({}, { backend: { ...backend, store: failing } });
    const client = await SseClient.connect(`${server.url}${EVENTS}?snapshot=true`);
    await client.waitForEnd();
    expect(client.events).toEqual([
      { id: undefined, event: 'error', data: JSON.stringify({ error: 'INTERNAL', message: 'Internal server error' }) },
    ]);
    await eventually(() => expect(server!.app.seatstream.hub.topicCount).toBe(0));
    expect((await get(server.url, '/healthz')).status).toBe(200);
  });
});
