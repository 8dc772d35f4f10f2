import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseClient } from '../support/sse-client.js';
import { startServer, type TestServer } from '../support/server.js';
import { parseRaw, rawExchange } from '../support/trust.js';

const HEADERS_TIMEOUT_MS = 300;
const REQUEST_TIMEOUT_MS = 600;
/** How late past a timeout the server may close: Node checks its connections on an interval. */
const SLACK_MS = 1_500;

/**
 * A client that never finishes its request must not keep a connection: slow headers and a dripping
 * body are closed (with a JSON 408 where Node answers) within the timeouts, from the server's side
 * even while the client keeps its own side open. A stream is a response, so it outlives them.
 */
describe('request timeouts', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS });
  });
  afterAll(() => server.close());

  const serverConnections = () =>
    new Promise<number>((resolve, reject) =>
      server.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );

  it('slow headers are answered 408 in JSON and closed', async () => {
    let timer: NodeJS.Timeout | undefined;
    const result = await rawExchange(
      server.url,
      (socket) => {
        socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
        // One header line every 100 ms, never the blank line that ends them.
        let n = 0;
        timer = setInterval(() => socket.writable && socket.write(`X-Slow-${n++}: 1\r\n`), 100);
      },
      HEADERS_TIMEOUT_MS + SLACK_MS,
    ).finally(() => clearInterval(timer));
    const response = parseRaw(result.data);
    expect(response.status).toBe(408);
    expect(response.headers).toMatch(/content-type: application\/json/i);
    expect(response.body).toMatchObject({ error: 'REQUEST_TIMEOUT' });
    // The client still has its side open: the server must have let go of the socket anyway.
    expect(await serverConnections()).toBe(0);
    result.socket.destroy();
  });

  it('a dripping body is answered 408 in JSON and closed', async () => {
    let timer: NodeJS.Timeout | undefined;
    const result = await rawExchange(
      server.url,
      (socket) => {
        socket.write(
          'POST /api/schedules/1/seats/hold HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
            'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
        );
        timer = setInterval(() => socket.writable && socket.write(' '), 50);
      },
      REQUEST_TIMEOUT_MS + SLACK_MS,
    ).finally(() => clearInterval(timer));
    const response = parseRaw(result.data);
    expect(response.status).toBe(408);
    expect(response.body).toMatchObject({ error: 'REQUEST_TIMEOUT' });
    expect(await serverConnections()).toBe(0);
    result.socket.destroy();
  });

  it('an open SSE stream is not cut by them', async () => {
    const client = await SseClient.connect(`${server.url}/api/schedules/1/seats/events?snapshot=true`);
    expect(client.status).toBe(200);
    await client.waitFor((c) => c.events.length > 0, 5_000, 'the snapshot');
    // Outlive both timeouts, plus Node's checking interval, with the stream still open.
    const deadline = REQUEST_TIMEOUT_MS + SLACK_MS;
    await expect(client.waitForEnd(deadline)).rejects.toThrow(/timed out waiting for end of stream/);
    expect(client.ended).toBe(false);
    client.close();
  });
});

/**
 * An idle keep-alive connection must outlive the balancer's own idle timeout (60 s for most), so
 * that the balancer closes first: a server that closes first resets a request sent at that moment.
 */
describe('keep-alive timeout', () => {
  it("is fastify's 72 s by default, not Node's 5 s", async () => {
    const server = await startServer();
    try {
      expect(server.app.server.keepAliveTimeout).toBe(72_000);
    } finally {
      await server.close();
    }
  });

  it('closes an idle keep-alive connection after KEEP_ALIVE_TIMEOUT_MS, not before', async () => {
    const server = await startServer({ keepAliveTimeoutMs: 1_000 });
    try {
      const { port } = new URL(server.url);
      const socket = net.connect(Number(port), '127.0.0.1');
      let answered = 0;
      const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
      const received = new Promise<void>((resolve) =>
        socket.on('data', (data: Buffer) => {
          if (data.includes('HTTP/1.1 200')) answered = Date.now();
          resolve();
        }),
      );
      socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await received;
      const idleFor = (await closed) - answered;
      expect(idleFor).toBeGreaterThanOrEqual(900);
      expect(idleFor).toBeLessThan(1_000 + SLACK_MS);
    } finally {
      await server.close();
    }
  });
});
