import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { scheduleTopic } from '../../src/seats/seat-events.js';
import { eventually, hold, newGuest, startServer, streaming, type TestServer } from '../support/server.js';

const EVENTS = '/api/schedules/1/seats/events';

/**
 * A raw HTTP/1.1 client on one socket: reads the response head, then the chunked body chunk by
 * chunk, checking the framing byte by byte (`<hex>\r\n<exactly that many bytes>\r\n`).
 */
class RawConnection {
  private buffer = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (data: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, data]);
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
  }

  static async open(url: string): Promise<RawConnection> {
    const { port } = new URL(url);
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawConnection(socket);
  }

  send(method: string, path: string, extra = ''): void {
    this.socket.write(`${method} ${path} HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n${extra}\r\n`);
  }

  private async until<T>(take: () => T | undefined, timeoutMs = 5_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = take();
      if (value !== undefined) return value;
      if (this.closed) throw new Error(`connection closed; unread: ${JSON.stringify(this.buffer.toString('latin1'))}`);
      if (Date.now() > deadline)
        throw new Error(`timed out; unread: ${JSON.stringify(this.buffer.toString('latin1'))}`);
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  /** The status line and headers (names lower-cased). */
  head(): Promise<{ status: number; headers: Map<string, string> }> {
    return this.until(() => {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const lines = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
      this.buffer = this.buffer.subarray(end + 4);
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      return { status: Number(lines[0]!.split(' ')[1]), headers };
    });
  }

  /** The next chunk of a chunked body, exactly as framed; '' for the terminating 0-chunk. */
  chunk(): Promise<string> {
    return this.until(() => {
      const lineEnd = this.buffer.indexOf('\r\n');
      if (lineEnd < 0) return undefined;
      const sizeText = this.buffer.subarray(0, lineEnd).toString('latin1');
      expect(sizeText).toMatch(/^[0-9a-f]+$/);
      const size = parseInt(sizeText, 16);
      const end = lineEnd + 2 + size;
      if (this.buffer.length < end + 2) return undefined;
      // The terminating chunk has no trailers here: `0\r\n\r\n`.
      expect(this.buffer.subarray(end, end + 2).toString('latin1')).toBe('\r\n');
      const body = this.buffer.subarray(lineEnd + 2, end).toString('utf8');
      this.buffer = this.buffer.subarray(end + 2);
      return body;
    });
  }

  /** The next chunk that is not a heartbeat (comment and data heartbeats come on their own timer). */
  async event(): Promise<string> {
    for (;;) {
      const chunk = await this.chunk();
      if (!/^(: heartbeat\n\n)?(data: \{[^\n]*"isHeartbeat":true[^\n]*\}\n\n)?$/.test(chunk) || chunk === '')
        return chunk;
    }
  }

  /** A Content-Length body (the answer to a following request on the same socket). */
  body(length: number): Promise<string> {
    return this.until(() => {
      if (this.buffer.length < length) return undefined;
      const body = this.buffer.subarray(0, length).toString('utf8');
      this.buffer = this.buffer.subarray(length);
      return body;
    });
  }

  get unread(): number {
    return this.buffer.length;
  }
}

describe('SSE on the wire (HTTP/1.1 chunked framing)', () => {
  let server: TestServer | undefined;
  const connections: RawConnection[] = [];
  afterEach(async () => {
    for (const connection of connections.splice(0)) connection.socket.destroy();
    await server?.close();
    server = undefined;
  });

  async function subscribe(): Promise<RawConnection> {
    const connection = await RawConnection.open(server!.url);
    connections.push(connection);
    connection.send('GET', EVENTS);
    const { status, headers } = await connection.head();
    expect(status).toBe(200);
    expect(headers.get('transfer-encoding')).toBe('chunked');
    expect(headers.has('content-length')).toBe(false);
    expect(headers.get('content-type')).toMatch(/^text\/event-stream/);
    return connection;
  }

  it('a chunk per delivery, sized to its frames; the 0-chunk at the end; a next request on the socket', async () => {
    server = await startServer({ sseRetryMs: 2_000, heartbeatMs: 600_000 });
    const connection = await subscribe();
    await streaming(server, 1);
    const guest = await newGuest(server.url);
    expect((await hold(server.url, guest, [3])).status).toBe(200);
    const first = await connection.event();
    expect(first).toMatch(/^retry: 2000\nid: 1@[^\n]+\ndata: \{[^\n]*"scheduleSeatId":3[^\n]*\}\n\n$/);
    expect((await hold(server.url, guest, [4])).status).toBe(200);
    const second = await connection.event();
    expect(second).toMatch(/^id: 2@[^\n]+\ndata: \{[^\n]*"scheduleSeatId":4[^\n]*\}\n\n$/);

    server.app.seatstream.hub.closeStreams();
    const last = await connection.event();
    expect(last).toMatch(/^retry: \d+\ndata: \{[^\n]*"isHeartbeat":true[^\n]*\}\n\n$/);
    expect(await connection.chunk()).toBe(''); // `0\r\n\r\n`
    expect(connection.unread).toBe(0);

    // Keep-alive: the same socket answers a following request.
    connection.send('GET', '/healthz');
    const { status, headers } = await connection.head();
    expect(status).toBe(200);
    const length = Number(headers.get('content-length'));
    expect(JSON.parse(await connection.body(length))).toMatchObject({ status: 'ok' });
    expect(connection.closed).toBe(false);
  });

  it('frames a live chunk once for every connection and writes it to each socket as one buffer', async () => {
    server = await startServer({ heartbeatMs: 600_000 });
    const writes = new Map<net.Socket, Buffer[]>();
    server.app.server.on('connection', (socket: net.Socket) => {
      const write = socket.write.bind(socket) as (chunk: unknown, ...rest: unknown[]) => boolean;
      const seen: Buffer[] = [];
      writes.set(socket, seen);
      socket.write = ((chunk: unknown, ...rest: unknown[]) => {
        seen.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'latin1'));
        return write(chunk, ...rest);
      }) as typeof socket.write;
    });
    const readers = [await subscribe(), await subscribe(), await subscribe()];
    await streaming(server, 1, 3);
    const guest = await newGuest(server.url);
    expect((await hold(server.url, guest, [5])).status).toBe(200); // the first chunk carries `retry:`
    for (const reader of readers) await reader.event();
    expect((await hold(server.url, guest, [6])).status).toBe(200);
    for (const reader of readers) expect(await reader.event()).toMatch(/"scheduleSeatId":6/);

    const streams = [...writes.values()].filter((seen) => seen.some((b) => b.includes('"scheduleSeatId":6')));
    expect(streams).toHaveLength(3);
    const delivered = streams.map((seen) => seen.filter((b) => b.includes('"scheduleSeatId":6')));
    for (const one of delivered) {
      expect(one).toHaveLength(1); // one write: chunk header, frame and CRLF together
      expect(one[0]!.toString('latin1')).toMatch(/^[0-9a-f]+\r\nid: 2@[^\n]+\n[^\r]*\n\n\r\n$/);
    }
    expect(delivered[1]![0]).toBe(delivered[0]![0]); // the same bytes: framed once
    expect(delivered[2]![0]).toBe(delivered[0]![0]);
  });

  it("a resume's headers and its catch-up leave the server in one system write", async () => {
    server = await startServer({ heartbeatMs: 600_000 });
    const guest = await newGuest(server.url);
    expect((await hold(server.url, guest, [7])).status).toBe(200);
    expect((await hold(server.url, guest, [8])).status).toBe(200);
    const head = await server.app.seatstream.backend.bus.head(scheduleTopic(1));
    // What the socket hands the kernel: net.Socket's own write (one buffer) or writev (several, corked).
    const systemWrites = new Map<net.Socket, (Buffer | string)[][]>();
    server.app.server.on('connection', (socket: net.Socket) => {
      const writes: (Buffer | string)[][] = [];
      systemWrites.set(socket, writes);
      const target = socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
      const write = target._write.bind(socket);
      const writev = target._writev.bind(socket);
      target._write = (chunk, ...rest) => {
        writes.push([chunk as Buffer]);
        return write(chunk, ...rest);
      };
      target._writev = (chunks, ...rest) => {
        writes.push((chunks as { chunk: Buffer | string }[]).map(({ chunk }) => chunk));
        return writev(chunks, ...rest);
      };
    });
    const connection = await RawConnection.open(server.url);
    connections.push(connection);
    connection.send('GET', EVENTS, `Last-Event-ID: ${head.offset - 1}@${head.epoch}\r\n`);
    expect((await connection.head()).status).toBe(200);
    expect(await connection.event()).toMatch(/"scheduleSeatId":8/);

    const [writes] = systemWrites.values();
    expect(writes).toHaveLength(1);
    const bytes = writes![0]!.map((chunk) => (typeof chunk === 'string' ? chunk : chunk.toString('latin1'))).join('');
    expect(bytes).toMatch(
      /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n[0-9a-f]+\r\nretry: \d+\nid: 2@[\s\S]*"scheduleSeatId":8[\s\S]*\r\n$/,
    );
  });

  it('a HEAD request gets the stream headers and no body, and the socket stays usable', async () => {
    server = await startServer();
    const connection = await RawConnection.open(server.url);
    connections.push(connection);
    connection.send('HEAD', EVENTS);
    const { status, headers } = await connection.head();
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/event-stream/);
    await streaming(server, 1);
    const guest = await newGuest(server.url);
    expect((await hold(server.url, guest, [7])).status).toBe(200);
    server.app.seatstream.hub.closeStreams();
    await eventually(() => expect(server!.app.seatstream.hub.subscriberCount(scheduleTopic(1))).toBe(0));
    expect(connection.unread).toBe(0); // nothing of the stream, not even a chunk
    connection.send('GET', '/healthz');
    const next = await connection.head();
    expect(next.status).toBe(200);
  });
});
