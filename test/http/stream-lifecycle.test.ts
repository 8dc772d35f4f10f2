import { afterEach, describe, expect, it } from 'vitest';
import { memoryBackend } from '../../src/backends/memory/memory-backend.js';
import { defaultConfig } from '../../src/config.js';
import { scheduleTopic } from '../../src/seats/seat-events.js';
import { SseClient } from '../support/sse-client.js';
import { eventually, get, startServer, type TestServer } from '../support/server.js';

const EVENTS = '/api/schedules/1/seats/events';

describe('stream lifecycle', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('tears a subscription down when the client disconnects: no subscriber, topic removed', async () => {
    server = await startServer();
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
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^seatstream_sse_connections 0$/m);
    expect(metrics).toMatch(/^seatstream_sse_connections_total 2$/m);
  });

  it('ends a stream at its (jittered) lifetime, to the next second, with a retry hint, and the topic goes away', async () => {
    server = await startServer({ sseMaxLifetimeMs: 2_000, sseRetryMs: 2_500 });
    const started = Date.now();
    const client = await SseClient.connect(server.url + EVENTS);
    await client.waitForEnd(6_000);
    const lived = Date.now() - started;
    // 80–100 % of the limit, ended by the once-a-second sweep after it.
    expect(lived).toBeGreaterThanOrEqual(1_500);
    expect(lived).toBeLessThan(4_500);
    expect(client.retries.at(-1)).toBe(2_500);
    await eventually(() => expect(server!.app.seatstream.hub.topicCount).toBe(0));
  });

  it.each([
    ['both', true, true],
    ['comment', true, false],
    ['data', false, true],
  ] as const)('sends heartbeats in the %s style without ids', async (style, comment, data) => {
    server = await startServer({ heartbeatMs: 100, heartbeatStyle: style });
    const client = await SseClient.connect(server.url + EVENTS);
    await new Promise((resolve) => setTimeout(resolve, 450));
    client.close();
    const heartbeats = client.messages().filter((m) => m.isHeartbeat);
    expect(client.comments.filter((c) => c === 'heartbeat').length > 0).toBe(comment);
    expect(heartbeats.length > 0).toBe(data);
    expect(client.lastEventId).toBeUndefined();
    if (data) expect(heartbeats[0]).toMatchObject({ scheduleSeatId: -1, status: null, isHeartbeat: true });
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
