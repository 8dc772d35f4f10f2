import type http from 'node:http';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseClient } from '../support/sse-client.js';
import { startServer, streaming, type TestServer } from '../support/server.js';
import type { LocalBus } from '../../src/backends/memory/local-bus.js';
import { encodeSeatEvent } from '../../src/protocol/seat-events.js';
import { scheduleTopic } from '../../src/seats/seat-events.js';

describe('coalescing frames of one tick', () => {
  let server: TestServer;
  beforeEach(async () => {
    // No heartbeat during the test: the first tick of a 1 h interval comes after 12 s.
    server = await startServer({ heartbeatMs: 3_600_000 });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await server.close();
  });

  it('writes a burst of one tick to each connection at once: separate events, own ids, in order', async () => {
    const clients = await Promise.all(
      [1, 2].map(() => SseClient.connect(`${server.url}/api/schedules/1/seats/events`)),
    );
    await streaming(server, 1, 2);
    // Every write to a socket from here on: the streams' headers and opening bytes are behind us.
    const write = vi.spyOn(net.Socket.prototype, 'write');
    const bus = server.app.seatstream.backend.bus as LocalBus;
    // 500 events appended synchronously: they share one tick, so each connection gets one write.
    const ids: string[] = [];
    for (let i = 1; i <= 500; i++)
      ids.push(bus.appendNow(scheduleTopic(1), encodeSeatEvent(1, (i % 200) + 1, 'HELD', Date.now())).id);
    for (const client of clients) await client.waitForSeatEvents(500);

    // Writes to the server's side of each stream: the socket that carries an event-stream response.
    const writesPerSocket = new Map<unknown, number>();
    for (const socket of write.mock.contexts) {
      const response = (socket as { _httpMessage?: http.ServerResponse })._httpMessage;
      if (/^text\/event-stream/.test(String(response?.getHeader?.('content-type'))))
        writesPerSocket.set(socket, (writesPerSocket.get(socket) ?? 0) + 1);
    }
    expect([...writesPerSocket.values()]).toEqual([1, 1]);
    for (const client of clients) {
      const events = client.seatEvents();
      expect(events.map((e) => e.id)).toEqual(ids);
      expect(events.map((e) => e.scheduleSeatId)).toEqual(ids.map((_, i) => ((i + 1) % 200) + 1));
      client.close();
    }
  });
});
