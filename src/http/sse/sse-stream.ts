import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { Subscriber, type Observable } from 'rxjs';
import { toErrorBody } from '../errors.js';
import { errorFrame, retryFrame, withRetry } from '../../protocol/sse-frames.js';

export interface SseStreamOptions {
  /** Unsent bytes (response buffer plus socket buffer) past which the connection is closed. */
  bufferLimitBytes: number;
  /** The `retry:` hint written in a stream's first block with data. */
  retryMs: number;
  /** The `retry:` hint written when the source completes (lifetime reached, shutdown). */
  retryOnEnd(): number;
  /** `request`'s connection was closed for not reading fast enough: `pendingBytes` unsent, `chunkBytes` refused. */
  onOverflow(request: FastifyRequest, pendingBytes: number, chunkBytes: number): void;
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
 * `bufferLimitBytes` behind is disconnected (it resumes from its last id).
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
  openWithPlugin(reply);
  options.onOpen();
  if (first !== undefined) writer.next(Buffer.from(first));
  source.subscribe(writer);
  if (res.destroyed)
    writer.dispose(); // the client left before the stream opened
  else res.once('close', () => writer.dispose());
}

/** The subscriber that writes a stream's bytes to one response (a class: thousands are open at once). */
class SseWriter extends Subscriber<Buffer> {
  /** Until the first block with data is written: it carries the `retry:` hint. */
  private retryPending = true;

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
    this.options.onClose();
  }

  protected override _next(chunk: Buffer): void {
    const { res } = this;
    if (res.destroyed) return;
    let bytes = chunk;
    if (this.retryPending) {
      const text = withRetry(chunk.toString(), this.options.retryMs);
      if (text !== undefined) {
        bytes = Buffer.from(text);
        this.retryPending = false;
      }
    }
    if (res.writableLength + bytes.length > this.options.bufferLimitBytes) {
      this.options.onOverflow(this.request, res.writableLength, bytes.length);
      res.destroy();
      return;
    }
    res.write(bytes);
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
      this.res.end(bytes);
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
