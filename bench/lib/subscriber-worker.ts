/**
 * A load-generator process: holds many SSE connections over raw sockets, with a lean parser that
 * reads only what the benchmark needs (each event's offset), and records when each event arrived
 * on the monotonic clock the publisher shares (process.hrtime.bigint: CLOCK_MONOTONIC).
 * Driven by the parent over IPC (see WorkerRequest).
 */
import net from 'node:net';
import { Histogram } from './histogram.js';

export type WorkerRequest =
  | { type: 'connect'; port: number; schedules: number[] }
  | { type: 'reset' }
  | { type: 'progress' }
  | { type: 'collect'; published: Record<number, { first: number; times: number[] }> }
  | { type: 'close' };

export type WorkerReply =
  | { type: 'connected'; connectMs: number[]; failed: number }
  | {
      type: 'collected';
      deliveries: number;
      misses: number;
      duplicates: number;
      histogram: number[];
      lastReceiveNs: number;
      closed: number;
    }
  | { type: 'progress'; received: number; closed: number }
  | { type: 'ok' };

class Connection {
  /** Offset of the last event received (-1: none yet). */
  last = -1;
  received = 0;
  duplicates = 0;
  /** Offsets received since the last reset, and when: [offset, ns, offset, ns, ...]. */
  log: number[] = [];
  closed = false;
  private text = '';
  private body = false;
  /** Where the chunked-encoding decoder stands. */
  private state: 'size' | 'data' | 'crlf' = 'size';
  private chunkLeft = 0;
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    readonly schedule: number,
    readonly socket: net.Socket,
    private readonly onHeaders: (ok: boolean) => void,
  ) {
    socket.on('data', (data: Buffer) => this.feed(data));
    socket.on('close', () => {
      this.closed = true;
      if (!this.body) onHeaders(false);
    });
    socket.on('error', () => undefined);
  }

  private feed(data: Buffer): void {
    const now = Number(process.hrtime.bigint());
    this.pending = this.pending.length ? Buffer.concat([this.pending, data]) : data;
    if (!this.body) {
      const end = this.pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.body = true;
      this.onHeaders(this.pending.subarray(0, 12).toString('latin1') === 'HTTP/1.1 200');
      this.pending = this.pending.subarray(end + 4);
    }
    let out = '';
    for (;;) {
      if (this.state === 'size') {
        const eol = this.pending.indexOf('\r\n');
        if (eol < 0) break;
        this.chunkLeft = parseInt(this.pending.subarray(0, eol).toString('latin1'), 16);
        this.pending = this.pending.subarray(eol + 2);
        if (this.chunkLeft === 0) break; // end of the body
        this.state = 'data';
      } else if (this.state === 'data') {
        const take = Math.min(this.chunkLeft, this.pending.length);
        if (take === 0) break;
        out += this.pending.subarray(0, take).toString('latin1');
        this.pending = this.pending.subarray(take);
        this.chunkLeft -= take;
        if (this.chunkLeft === 0) this.state = 'crlf';
      } else {
        if (this.pending.length < 2) break;
        this.pending = this.pending.subarray(2);
        this.state = 'size';
      }
    }
    if (out) this.lines(out, now);
  }

  /** Counts every `id:` line: each seat event has exactly one; heartbeats have none. */
  private lines(text: string, now: number): void {
    this.text += text;
    const cut = this.text.lastIndexOf('\n');
    if (cut < 0) return;
    const complete = `\n${this.text.slice(0, cut)}`;
    this.text = this.text.slice(cut + 1);
    for (let at = complete.indexOf('\nid: '); at >= 0; at = complete.indexOf('\nid: ', at + 5)) {
      const offset = parseInt(complete.slice(at + 5, complete.indexOf('@', at + 5)), 10);
      if (offset <= this.last) this.duplicates++;
      else this.last = offset;
      this.received++;
      this.log.push(offset, now);
    }
  }
}

let connections: Connection[] = [];

function connect(port: number, schedule: number): Promise<{ connection: Connection; ms: number; ok: boolean }> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const socket = net.connect(port, '127.0.0.1');
    const connection = new Connection(schedule, socket, (ok) =>
      resolve({ connection, ms: Number(process.hrtime.bigint() - started) / 1e6, ok }),
    );
    socket.on('connect', () =>
      socket.write(
        `GET /api/schedules/${schedule}/seats/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`,
      ),
    );
  });
}

process.on('message', async (message: WorkerRequest) => {
  const reply = (r: WorkerReply) => process.send!(r);
  switch (message.type) {
    case 'connect': {
      const connectMs: number[] = [];
      let failed = 0;
      // In waves, so the accept queue is not flooded.
      for (let i = 0; i < message.schedules.length; i += 200) {
        const wave = await Promise.all(message.schedules.slice(i, i + 200).map((s) => connect(message.port, s)));
        for (const { connection, ms, ok } of wave) {
          if (ok) connectMs.push(ms);
          else failed++;
          connections.push(connection);
        }
      }
      reply({ type: 'connected', connectMs, failed });
      break;
    }
    case 'reset':
      for (const c of connections) c.log = [];
      reply({ type: 'ok' });
      break;
    case 'progress': {
      let received = 0;
      for (const c of connections) received += c.received;
      reply({ type: 'progress', received, closed: connections.filter((c) => c.closed).length });
      break;
    }
    case 'collect': {
      const histogram = new Histogram();
      let deliveries = 0;
      let misses = 0;
      let duplicates = 0;
      let lastReceiveNs = 0;
      for (const c of connections) {
        const published = message.published[c.schedule];
        if (!published) continue;
        const seen = new Set<number>();
        for (let i = 0; i < c.log.length; i += 2) {
          const offset = c.log[i]!;
          const at = c.log[i + 1]!;
          const sentAt = published.times[offset - published.first];
          if (sentAt === undefined) continue; // not from the measured window
          if (seen.has(offset)) {
            duplicates++;
            continue;
          }
          seen.add(offset);
          deliveries++;
          histogram.record((at - sentAt) / 1e6);
          if (at > lastReceiveNs) lastReceiveNs = at;
        }
        misses += published.times.length - seen.size;
      }
      reply({
        type: 'collected',
        deliveries,
        misses,
        duplicates,
        histogram: histogram.counts,
        lastReceiveNs,
        closed: connections.filter((c) => c.closed).length,
      });
      break;
    }
    case 'close':
      for (const c of connections) c.socket.destroy();
      connections = [];
      reply({ type: 'ok' });
      process.exit(0);
  }
});
