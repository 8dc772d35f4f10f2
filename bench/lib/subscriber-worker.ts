/**
 * A load-generator process: holds many SSE connections over raw sockets, with a lean parser that
 * reads only what the benchmark needs (each event's id), and records when each event arrived
 * on the monotonic clock the publisher shares (process.hrtime.bigint: CLOCK_MONOTONIC).
 * Driven by the parent over IPC (see WorkerRequest).
 *
 * W6 (reconnect storms): connections belong to a group; `follow` makes a group's connections
 * reopen, as soon as they close, to a given port with `Last-Event-ID: <the last id they got>`
 * (retrying after RETRY_MS when an attempt fails), and `drop` closes them all at once.
 */
import net from 'node:net';
import { Histogram } from './histogram.js';

export type WorkerRequest =
  | { type: 'connect'; port: number; schedules: number[]; group?: string; timed?: boolean }
  | { type: 'reset' }
  | { type: 'progress' }
  | { type: 'collect'; published: Record<number, { first: number; times: number[] }> }
  | { type: 'follow'; group: string; port: number }
  | { type: 'drop'; group: string }
  | { type: 'storm-progress'; group: string }
  | { type: 'storm-collect'; storm: string; stay: string; published: StormPublished; windows: [number, number][] }
  | { type: 'close' };

/** What the publisher did during a storm run: per offset (from `first`), when it was sent and acknowledged. */
export interface StormPublished {
  first: number;
  sent: number[];
  acked: number[];
  /** The last event published: every connection must end on it. */
  sentinel: number;
}

/** One connection of a storm group, as collected (times in ns on the shared monotonic clock; 0: never). */
export interface StormClient {
  droppedNs: number;
  /** When the request of the attempt that reopened it was written (its socket connected). */
  requestNs: number;
  reopenedNs: number;
  /** It has every event acknowledged before its reopening request, without a gap (0: never). */
  caughtUpNs: number;
  lastAtDrop: number;
  failures: number;
  /** Events skipped (holes in its ids over the whole run) and received twice. */
  gaps: number;
  duplicates: number;
  sentinel: boolean;
}

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
  | { type: 'storm-progress'; total: number; reopened: number; minLast: number; lastRequestNs: number }
  | {
      type: 'storm-collected';
      clients: StormClient[];
      /** Delivery delay (arrival − send) of the stay group, one histogram per window of send times. */
      stay: number[][];
      /** The same events' delay from the change (arrival − the event's `timestamp`), where recorded. */
      stayFromChange: number[][];
      stayGaps: number;
      stayDuplicates: number;
      staySentinelMissing: number;
    }
  | { type: 'ok' };

/** A failed reopening attempt (refused, reset, or not 200) is tried again after this long. */
const RETRY_MS = 250;

const now = () => Number(process.hrtime.bigint());

class Connection {
  /** Offset of the last event received (-1: none yet), and its whole id (`offset@epoch`). */
  last = -1;
  lastId = '';
  received = 0;
  duplicates = 0;
  /** Offsets received since the last reset, and when: [offset, ns, offset, ns, ...]. */
  log: number[] = [];
  /**
   * A timed connection's delay from each logged event's change (wall-clock arrival − its `timestamp`,
   * set by the server when it applied the change), one per `log` pair (NaN: none in the event).
   */
  fromChange: number[] | null;
  closed = false;
  socket!: net.Socket;
  /** Reopen to this port when the connection closes (W6); null: stay closed. */
  follow: number | null = null;
  droppedNs = 0;
  lastAtDrop = -1;
  /** When the request of the attempt that reopened it was sent, and when its 200 arrived. */
  requestNs = 0;
  reopenedNs = 0;
  failures = 0;
  private onHeaders: (ok: boolean) => void = () => undefined;
  private text = '';
  private body = false;
  /** The current socket's response was 200. */
  private ok = false;
  /** Where the chunked-encoding decoder stands. */
  private state: 'size' | 'data' | 'crlf' = 'size';
  private chunkLeft = 0;
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    readonly schedule: number,
    readonly group: string,
    timed: boolean,
  ) {
    this.fromChange = timed ? [] : null;
  }

  /** Opens the stream (with `Last-Event-ID` when reopening); `onHeaders` hears whether it answered 200. */
  open(port: number, onHeaders: (ok: boolean) => void, lastId?: string): void {
    this.onHeaders = onHeaders;
    this.text = '';
    this.body = false;
    this.ok = false;
    this.state = 'size';
    this.chunkLeft = 0;
    this.pending = Buffer.alloc(0);
    const socket = net.connect(port, '127.0.0.1');
    this.socket = socket;
    const resume = lastId ? `Last-Event-ID: ${lastId}\r\n` : '';
    socket.on('connect', () => {
      this.requestNs = now();
      socket.write(
        `GET /api/schedules/${this.schedule}/seats/events HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
          `Accept: text/event-stream\r\n${resume}\r\n`,
      );
    });
    socket.on('data', (data: Buffer) => this.feed(data));
    socket.on('close', () => {
      if (socket !== this.socket) return;
      if (!this.body) this.onHeaders(false);
      // An attempt refused with a status is retried by its own handler.
      else if (this.ok && this.follow !== null) this.reopen();
      else if (this.ok || this.follow === null) this.closed = true;
    });
    socket.on('error', () => undefined);
  }

  /** Closed while following: reopen at once where it stood (a browser's EventSource, minus its retry delay). */
  reopen(): void {
    if (this.droppedNs === 0) {
      this.droppedNs = now();
      this.lastAtDrop = this.last;
    }
    this.reopenedNs = 0;
    const attempt = (): void => {
      const port = this.follow;
      if (port === null) return void (this.closed = true);
      this.open(
        port,
        (ok) => {
          if (ok) {
            this.reopenedNs = now();
            return;
          }
          this.failures++;
          this.socket.destroy();
          setTimeout(attempt, RETRY_MS);
        },
        this.lastId || undefined,
      );
    };
    attempt();
  }

  private feed(data: Buffer): void {
    const at = now();
    this.pending = this.pending.length ? Buffer.concat([this.pending, data]) : data;
    if (!this.body) {
      const end = this.pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.body = true;
      this.ok = this.pending.subarray(0, 12).toString('latin1') === 'HTTP/1.1 200';
      this.pending = this.pending.subarray(end + 4);
      this.onHeaders(this.ok);
      if (!this.ok) return;
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
    if (out) this.lines(out, at);
  }

  /** Counts every `id:` line: each seat event has exactly one; heartbeats have none. */
  private lines(text: string, at: number): void {
    this.text += text;
    const cut = this.text.lastIndexOf('\n');
    if (cut < 0) return;
    const complete = `\n${this.text.slice(0, cut)}`;
    this.text = this.text.slice(cut + 1);
    for (let i = complete.indexOf('\nid: '); i >= 0; i = complete.indexOf('\nid: ', i + 5)) {
      const eol = complete.indexOf('\n', i + 5);
      const id = complete.slice(i + 5, eol < 0 ? undefined : eol);
      const offset = parseInt(id, 10);
      if (offset <= this.last) this.duplicates++;
      else {
        this.last = offset;
        this.lastId = id;
      }
      this.received++;
      this.log.push(offset, at);
      if (this.fromChange) this.fromChange.push(changeDelayMs(complete, i));
    }
  }
}

/** `"timestamp":"` followed by an ISO instant, as seat events carry it. */
const TIMESTAMP = '"timestamp":"';

/**
 * Milliseconds since the change of the event whose block starts at `at` in `text`: now minus its
 * `timestamp` (server and client share this machine's clock). NaN when its block has none.
 */
function changeDelayMs(text: string, at: number): number {
  const blockEnd = text.indexOf('\n\n', at + 1);
  const found = text.indexOf(TIMESTAMP, at);
  if (found < 0 || (blockEnd >= 0 && found > blockEnd)) return Number.NaN;
  const start = found + TIMESTAMP.length;
  return Date.now() - Date.parse(text.slice(start, text.indexOf('"', start)));
}

let connections: Connection[] = [];

function connect(
  port: number,
  schedule: number,
  group: string,
  timed: boolean,
): Promise<{ connection: Connection; ms: number; ok: boolean }> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const connection = new Connection(schedule, group, timed);
    connection.open(port, (ok) => resolve({ connection, ms: Number(process.hrtime.bigint() - started) / 1e6, ok }));
  });
}

/** Where one storm client stands, from its log, against what the publisher sent and when it was acknowledged. */
function stormClient(c: Connection, published: StormPublished): StormClient {
  let gaps = 0;
  let duplicates = 0;
  let previous = -1;
  for (let i = 0; i < c.log.length; i += 2) {
    const offset = c.log[i]!;
    if (previous >= 0 && offset <= previous) duplicates++;
    else {
      if (previous >= 0) gaps += offset - previous - 1;
      previous = offset;
    }
  }
  // Every event acknowledged before the reopening request was sent must have come back.
  let due = c.lastAtDrop;
  for (let k = 0; k < published.acked.length; k++) {
    const acked = published.acked[k]!;
    if (acked > 0 && acked <= c.requestNs) due = Math.max(due, published.first + k);
  }
  let caughtUpNs = c.reopenedNs;
  if (c.reopenedNs > 0 && due > c.lastAtDrop) {
    // When the last due event arrived after the drop, if all of those between arrived too.
    const got = new Set<number>();
    let dueAt = 0;
    for (let i = 0; i < c.log.length; i += 2) {
      if (c.log[i + 1]! < c.droppedNs) continue;
      const offset = c.log[i]!;
      got.add(offset);
      if (offset === due && dueAt === 0) dueAt = c.log[i + 1]!;
    }
    let complete = dueAt > 0;
    for (let o = c.lastAtDrop + 1; complete && o <= due; o++) complete = got.has(o);
    caughtUpNs = complete ? Math.max(c.reopenedNs, dueAt) : 0;
  }
  return {
    droppedNs: c.droppedNs,
    requestNs: c.requestNs,
    reopenedNs: c.reopenedNs,
    caughtUpNs,
    lastAtDrop: c.lastAtDrop,
    failures: c.failures,
    gaps,
    duplicates,
    sentinel: c.last === published.sentinel,
  };
}

process.on('message', async (message: WorkerRequest) => {
  const reply = (r: WorkerReply) => process.send!(r);
  switch (message.type) {
    case 'connect': {
      const connectMs: number[] = [];
      let failed = 0;
      // In waves, so the accept queue is not flooded.
      for (let i = 0; i < message.schedules.length; i += 200) {
        const wave = await Promise.all(
          message.schedules
            .slice(i, i + 200)
            .map((s) => connect(message.port, s, message.group ?? '', message.timed === true)),
        );
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
      for (const c of connections) {
        c.log = [];
        if (c.fromChange) c.fromChange = [];
      }
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
    case 'follow':
      for (const c of connections) if (c.group === message.group) c.follow = message.port;
      reply({ type: 'ok' });
      break;
    case 'drop':
      // All at once: each reopens from its close handler (follow).
      for (const c of connections) if (c.group === message.group) c.socket.destroy();
      reply({ type: 'ok' });
      break;
    case 'storm-progress': {
      let total = 0;
      let reopened = 0;
      let minLast = Number.MAX_SAFE_INTEGER;
      let lastRequestNs = 0;
      for (const c of connections) {
        if (c.group !== message.group) continue;
        total++;
        if (c.reopenedNs > 0) {
          reopened++;
          lastRequestNs = Math.max(lastRequestNs, c.requestNs);
        }
        minLast = Math.min(minLast, c.last);
      }
      reply({ type: 'storm-progress', total, reopened, minLast, lastRequestNs });
      break;
    }
    case 'storm-collect': {
      const { published, windows } = message;
      const clients: StormClient[] = [];
      const stay = windows.map(() => new Histogram());
      const stayFromChange = windows.map(() => new Histogram());
      let stayGaps = 0;
      let stayDuplicates = 0;
      let staySentinelMissing = 0;
      for (const c of connections) {
        if (c.group === message.storm) clients.push(stormClient(c, published));
        if (c.group !== message.stay) continue;
        const result = stormClient(c, published);
        stayGaps += result.gaps;
        stayDuplicates += result.duplicates;
        if (!result.sentinel) staySentinelMissing++;
        for (let i = 0; i < c.log.length; i += 2) {
          const sentNs = published.sent[c.log[i]! - published.first];
          if (sentNs === undefined) continue;
          const fromChange = c.fromChange?.[i / 2] ?? Number.NaN;
          for (const [w, [from, to]] of windows.entries()) {
            if (sentNs < from || sentNs >= to) continue;
            stay[w]!.record((c.log[i + 1]! - sentNs) / 1e6);
            if (!Number.isNaN(fromChange)) stayFromChange[w]!.record(fromChange);
          }
        }
      }
      for (const c of connections) c.follow = null;
      reply({
        type: 'storm-collected',
        clients,
        stay: stay.map((h) => h.counts),
        stayFromChange: stayFromChange.map((h) => h.counts),
        stayGaps,
        stayDuplicates,
        staySentinelMissing,
      });
      break;
    }
    case 'close':
      for (const c of connections) {
        c.follow = null;
        c.socket.destroy();
      }
      connections = [];
      reply({ type: 'ok' });
      process.exit(0);
  }
});
