import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SseClient } from '../support/sse-client.js';
import { startServer, type TestServer } from '../support/server.js';
import type { LocalBus } from '../../src/backends/memory/local-bus.js';
import { encodeSeatEvent } from '../../src/protocol/seat-events.js';
import { scheduleTopic } from '../../src/seats/seat-events.js';

describe('coalescing frames of one tick', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(() => server.close());

  it('delivers a burst published in one tick as separate, well-formed events with their own ids, in order', async () => {
    const clients = await Promise.all(
      [1, 2].map(() => SseClient.connect(`${server.url}/api/schedules/1/seats/events`)),
    );
    await clients[0]!.waitFor(() => server.app.seatstream.hub.subscriberCount(scheduleTopic(1)) === 2);
    const bus = server.app.seatstream.backend.bus as LocalBus;
    // 500 events appended synchronously: they share one tick, so each connection gets one write.
    const ids: string[] = [];
    for (let i = 1; i <= 500; i++)
      ids.push(bus.appendNow(scheduleTopic(1), encodeSeatEvent(1, (i % 200) + 1, 'HELD', Date.now())).id);
    for (const client of clients) {
      await client.waitForSeatEvents(500);
      const events = client.seatEvents();
      expect(events.map((e) => e.id)).toEqual(ids);
      expect(events.map((e) => e.scheduleSeatId)).toEqual(ids.map((_, i) => ((i + 1) % 200) + 1));
      client.close();
    }
  });
});
