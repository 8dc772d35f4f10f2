import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Observable } from 'rxjs';
import { toErrorBody } from '../errors.js';
import { LeanSubscriber } from '../../hub/lean-subscriber.js';
import { isSnapshotFrame } from '../../hub/snapshot-frames.js';
import { errorFrame, retryFrame, withRetry } from '../../protocol/sse-frames.js';
import { CHUNK_TAIL, chunkHead, framedChunk, LAST_CHUNK, takeChunkFraming } from './chunk-framing.js';
import { shareSentHeaders } from './sent-headers.js';

export interface SseStreamOptions {
  /**
   * Unsent bytes (response buffer plus socket buffer) past which the connection is closed. A
   * snapshot is bounded by time instead; while one is unsent, what is written behind it counts.
   */
  bufferLimitBytes: number;
  /** A snapshot not taken (handed to the kernel) within this long closes the connection. */
  snapshotTimeoutMs: number;
  /** The `retry:` hint written in a stream's first block with data. */
  retryMs: number;
  /** The `retry:` hint written when the source completes (lifetime reached, shutdown). */
  retryOnEnd(): number;
  /** `request`'s connection was closed for not reading fast enough: `pendingBytes` unsent, `chunkBytes` refused. */
  onOverflow(request: FastifyRequest, pendingBytes: number, chunkBytes: number): void;
  /** `request`'s connection was closed for not taking a snapshot in time: `pendingBytes` unsent. */
  onSnapshotTimeout(request: FastifyRequest, pendingBytes: number): void;
  onOpen(): void;
  onClose(): void;
  /**
   * `bytes` went to the socket. Called synchronously within their delivery (metrics read the live
   * chunk's append time then), once per write per connection: it must stay a few operations.
   */
  onWrite(bytes: Buffer): void;
}

/** Reply headers the plugin copies when it opens the stream: nginx must not buffer the stream. */
const HEADERS = { 'X-Accel-Buffering': 'no' } as const;

/**
 * Where a subscription's Observable meets the socket — the one place that owns SSE responses.
 *
 * fastify-sse-v2 opens the stream (headers, hijack); from then on the frames are
 * written to the response directly, because the plugin's async-iterable pipeline costs 2–3× the
 * CPU per delivery of a raw server, never tells the source when the client left, crashes on a
 * rejected iterable and buffers without limit (docs/architecture.md, The SSE adapter). Here:
 * teardown on `'close'`, an error ends the stream with a final `event: error` frame, and a reader that falls more than
 * `bufferLimitBytes` behind, or takes longer than `snapshotTimeoutMs` over a snapshot, is disconnected (it resumes
 * from its last id).
 */
export function openSseStream(
  reply: FastifyReply,
  source: Observable<Buffer>,
  options: SseStreamOptions,
  /** Written before anything of the source (a private stream's `connected`). */
  first?: string,
): void {
  const res = reply.raw;
  const writer = new SseWriter(res, reply.request, options);
  // The headers and what the stream has to say at once (a resume's catch-up from memory, a cached
  // snapshot, a private stream's `connected`) leave in one write: the plugin flushes the headers on
  // their own, so the socket is corked until the turn's promises have run.
  const socket = reply.request.raw.httpVersionMajor === 1 ? res.socket : null;
  if (socket) {
    socket.cork();
    setImmediate(uncork, socket); // whatever happens below: a socket left corked would say nothing more
  }
  openWithPlugin(reply);
  shareSentHeaders(res);
  writer.framing = takeChunkFraming(res);
  options.onOpen();
  if (first !== undefined) writer.next(Buffer.from(first));
  source.subscribe(writer);
  if (res.destroyed)
    writer.dispose(); // the client left before the stream opened
  else res.on('close', () => writer.dispose()); // `on`: emitted once anyway, and `once` keeps a wrapper per stream
}

function uncork(socket: Socket): void {
  socket.uncork();
}

/** A snapshot being written to one connection: bounded by time, not by bytes. */
interface SnapshotWrite {
  /** Snapshot writes not yet handed to the kernel. */
  unsent: number;
  /** Bytes written behind them: they count against the byte bound. */
  behind: number;
  timer: NodeJS.Timeout;
}

/** How much of a chunk is read as text to put the `retry:` hint in: a snapshot may be megabytes. */
const HINT_SCAN_BYTES = 4096;

/**
 * The subscriber that writes a stream's bytes to one response (a class: thousands are open at
 * once; lean: its one finalizer, the hub's teardown, needs no array).
 */
class SseWriter extends LeanSubscriber<Buffer> {
  /** Until the first block with data is written: it carries the `retry:` hint. */
  private retryPending = true;
  /** Set while a snapshot is being written. */
  private snapshot: SnapshotWrite | undefined;
  /**
   * An HTTP/1.1 chunked response whose framing is done here: each chunk framed once for every
   * connection (chunk-framing.ts) and written as one buffer. False: HTTP/2, HEAD, HTTP/1.0.
   */
  framing = false;

  constructor(
    private readonly res: ServerResponse,
    /** For the log and what the stream follows (fastify keeps it for the response's life anyway). */
    private readonly request: FastifyRequest,
    private readonly options: SseStreamOptions,
  ) {
    super();
  }

  dispose(): void {
    this.unsubscribe();
    if (this.snapshot) clearTimeout(this.snapshot.timer);
    this.options.onClose();
  }

  protected override _next(chunk: Buffer): void {
    const { res } = this;
    // An empty chunk would end a chunked body: there is nothing to write anyway.
    if (res.destroyed || chunk.length === 0) return;
    if (this.retryPending || this.snapshot || isSnapshotFrame(chunk)) this.nextWithCare(chunk);
    else if (res.writableLength + chunk.length > this.options.bufferLimitBytes)
      this.overflow(res.writableLength, chunk);
    else this.write(chunk);
  }

  /** The first block with data (it gets the `retry:` hint), a snapshot, or what is written behind one. */
  private nextWithCare(chunk: Buffer): void {
    let head: Buffer | undefined;
    let bytes = chunk;
    if (this.retryPending) {
      [head, bytes] = this.withRetry(chunk);
      this.retryPending = head === undefined && bytes === chunk;
    }
    // A snapshot's frame is shared by every subscriber: written after its hinted head, not copied.
    if (isSnapshotFrame(chunk)) {
      this.writeSnapshot(head, bytes);
      return;
    }
    if (head) bytes = Buffer.concat([head, bytes]); // live frames: one write per chunk
    const pending = this.snapshot ? this.snapshot.behind : this.res.writableLength;
    if (pending + bytes.length > this.options.bufferLimitBytes) {
      this.overflow(pending, bytes);
      return;
    }
    if (this.snapshot) this.snapshot.behind += bytes.length;
    this.write(bytes);
  }

  private overflow(pending: number, refused: Buffer): void {
    this.options.onOverflow(this.request, pending, refused.length);
    this.res.destroy();
  }

  /**
   * `chunk` with the `retry:` hint in its first block with data: `[head, rest]` when only its
   * first bytes had to be read for it (the rest written as it is, shared), `[undefined, chunk]`
   * when no block carries data. Bytes stay bytes (latin1), whatever their encoding.
   */
  private withRetry(chunk: Buffer): [Buffer | undefined, Buffer] {
    const scan = Math.min(chunk.length, HINT_SCAN_BYTES);
    const text = withRetry(chunk.toString('latin1', 0, scan), this.options.retryMs);
    if (text !== undefined)
      return scan === chunk.length
        ? [undefined, Buffer.from(text, 'latin1')]
        : [Buffer.from(text, 'latin1'), chunk.subarray(scan)];
    // The first block with data begins past the scanned bytes (never, with the hub's frames).
    const whole = scan < chunk.length ? withRetry(chunk.toString('latin1'), this.options.retryMs) : undefined;
    return [undefined, whole === undefined ? chunk : Buffer.from(whole, 'latin1')];
  }

  /**
   * A snapshot is written whatever is unsent, and the reader has `snapshotTimeoutMs` to take it
   * (Node calls back once the last byte is handed to the kernel); meanwhile what is written
   * behind it counts against the byte bound.
   */
  private writeSnapshot(head: Buffer | undefined, bytes: Buffer): void {
    if (head) this.write(head);
    // The newest snapshot's deadline counts: one written behind another waits for it first.
    const timer = setTimeout(() => this.snapshotTimedOut(), this.options.snapshotTimeoutMs).unref();
    if (this.snapshot) {
      clearTimeout(this.snapshot.timer);
      this.snapshot.timer = timer;
      this.snapshot.unsent++;
    } else this.snapshot = { unsent: 1, behind: 0, timer };
    const { res } = this;
    // Megabytes, shared by every subscriber: framed around it (one writev), never copied.
    if (this.framing) res.write(chunkHead(bytes.length));
    res.write(bytes, () => this.snapshotTaken());
    if (this.framing) res.write(CHUNK_TAIL);
    this.options.onWrite(bytes);
  }

  private snapshotTaken(): void {
    const { snapshot } = this;
    if (!snapshot || --snapshot.unsent > 0) return;
    clearTimeout(snapshot.timer);
    this.snapshot = undefined;
  }

  private snapshotTimedOut(): void {
    if (!this.snapshot || this.res.destroyed) return;
    this.options.onSnapshotTimeout(this.request, this.res.writableLength);
    this.res.destroy();
  }

  /**
   * A framed chunk goes to the socket itself: the response's own write path would cork the
   * socket, queue an uncork on the next tick and then write, for each delivery to each
   * connection, where there is only this one buffer to write. (Headers went before it and `end`
   * goes after it through the response, on the same socket, in order.)
   */
  private write(bytes: Buffer): void {
    const { res } = this;
    if (this.framing) res.socket?.write(framedChunk(bytes));
    else res.write(bytes);
    this.options.onWrite(bytes);
  }

  protected override _error(error: unknown): void {
    this.request.log.warn({ err: error }, 'event stream failed');
    this.end(errorFrame(toErrorBody(error).body));
  }

  protected override _complete(): void {
    this.end(retryFrame(this.options.retryOnEnd(), new Date()));
  }

  private end(frame: string): void {
    if (!this.res.destroyed) {
      const bytes = Buffer.from(frame);
      // The last frame and the end of the chunked body in one write.
      this.res.end(this.framing ? Buffer.concat([framedChunk(bytes), LAST_CHUNK]) : bytes);
      this.options.onWrite(bytes);
    }
    this.unsubscribe();
  }
}

/**
 * Lets fastify-sse-v2 open the stream (headers, hijack; it is registered to write no `retry:` of its
 * own, which would be a block without data); its own pipeline is then
 * detached and ended. Its `Cache-Control: no-cache,no-transform` is kept as it is. A function of
 * its own on purpose: nothing here may be captured by the long-lived closures of the stream.
 */
function openWithPlugin(reply: FastifyReply): void {
  const res = reply.raw;
  void reply.headers(HEADERS);
  // The plugin pipes an async-iterable pipeline of its own into the response, which this adapter
  // never uses; catch it as it is piped, then detach and destroy it: it costs several KB per idle
  // connection (a pushable queue, a generator, a Readable with its buffers).
  let pipeline: Readable | undefined;
  const onPipe = (source: Readable) => (pipeline = source);
  res.once('pipe', onPipe);
  try {
    reply.sse({}); // an empty message: the plugin opens the stream and writes nothing of its own
  } finally {
    res.off('pipe', onPipe);
  }
  if (pipeline) {
    pipeline.unpipe(res);
    pipeline.destroy();
  }
  // Its queue is kept on the reply; ending and dropping it lets the plugin's generator finish
  // and everything it held be collected.
  const withContext = reply as { sseContext?: { source?: { end(): unknown } } };
  withContext.sseContext?.source?.end();
  withContext.sseContext = undefined;
}
