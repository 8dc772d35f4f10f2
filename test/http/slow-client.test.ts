import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalBus } from '../../src/backends/memory/local-bus.js';
import { encodeSeatEvent } from '../../src/protocol/seat-events.js';
import { scheduleTopic } from '../../src/seats/seat-events.js';
import { SseClient } from '../support/sse-client.js';
import { eventually, startServer, type TestServer } from '../support/server.js';

const gc = (globalThis as { gc?: () => void }).gc;

describe('a client that stops reading', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer({ sseBufferLimitBytes: 1_048_576 });
  });
  afterEach(() => server.close());

  it('is disconnected once 1 MiB is waiting for it; the others get everything; heap stays flat', async () => {
    const { hub, metrics } = server.app.seatstream;
    const bus = server.app.seatstream.backend.bus as LocalBus;
    const slow = await SseClient.connect(`${server.url}/api/schedules/1/seats/events`);
    const healthy = await SseClient.connect(`${server.url}/api/schedules/1/seats/events`);
    healthy.keep = false; // its memory lives in this process too: count, don't keep
    await eventually(() => expect(hub.subscriberCount(scheduleTopic(1))).toBe(2));
    slow.pause();

    gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const total = 50_000;
    // Published in batches across ticks, like a burst of real holds.
    for (let sent = 0; sent < total; ) {
      for (let i = 0; i < 500; i++, sent++)
        bus.appendNow(scheduleTopic(1), encodeSeatEvent(1, (sent % 200) + 1, 'HELD', Date.now()));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await healthy.waitFor((c) => c.received >= total, 30_000, `${total} events`);
    await eventually(() => expect(hub.subscriberCount(scheduleTopic(1))).toBe(1));
    gc?.();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    const mb = (growth / 1048576).toFixed(1);
    console.log(`slow client: heap growth ${mb} MB over ${total} events (gc ${gc ? 'forced' : 'not exposed'})`);
    expect(growth).toBeLessThan(20 * 1048576);
    expect((await metrics.sseOverflows.get()).values[0]!.value).toBe(1);
    expect(slow.seatEvents().length).toBeLessThan(total);
    healthy.close();
    slow.close();
  }, 60_000);
});
