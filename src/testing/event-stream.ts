/**
 * A small SSE reader for tests: one GET over node:http(s), every dispatched message kept as a
 * typed event, and `waitFor` to await one. Unlike an EventSource it never reconnects: a test sees
 * exactly one response, and its end is an observable fact (`ended`, `finished`).
 */
import { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, request as httpGet } from 'node:http';
import { request as httpsGet } from 'node:https';
import { SeatstreamApiError } from './api-error.js';
import { SseParser } from './sse-parser.js';
import {
  describeEvent,
  type EventOfType,
  type StreamEvent,
  type StreamEventType,
  toStreamEvent,
} from './stream-events.js';

export interface OpenStreamOptions {
  readonly headers?: Record<string, string>;
  /** Sent as the `Last-Event-ID` header: the server resumes after it. */
  readonly lastEventId?: string;
  /**
   * How long the response's headers may take, and with the stream helpers its first snapshot or
   * `connected` (default 3000 ms).
   */
  readonly timeoutMs?: number;
}

export interface WaitOptions {
  /** Default 3000 ms: under the 5 s a vitest or Jest test gets by default, so this error is the one reported. */
  readonly timeoutMs?: number;
  /**
   * Look only at events from this index of `events` on (default 0: also those that already
   * came). Take `stream.events.length` before acting to wait for something new.
   */
  readonly since?: number;
  /** Names what is awaited in the error message (default: the predicate's source). */
  readonly label?: string;
}

/** `waitFor` gave up: no event matched in time, or the stream ended or was closed first. */
export class StreamWaitError extends Error {
  override name = 'StreamWaitError';

  constructor(
    message: string,
    readonly reason: 'timeout' | 'ended' | 'closed',
    /** Every event the stream had received by then. */
    readonly arrived: readonly StreamEvent[],
  ) {
    super(message);
  }
}

const DEFAULT_TIMEOUT_MS = 3_000;
/** Events listed in a StreamWaitError's message: the last ones, the rest counted. */
const LISTED = 30;

interface Waiter {
  readonly match: (event: StreamEvent) => boolean;
  readonly since: number;
  readonly label: string;
  readonly timeoutMs: number;
  readonly resolve: (event: StreamEvent) => void;
  readonly reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

/** Opens a stream; rejects with a SeatstreamApiError when the answer is not a 200 event stream. */
export function openEventStream(url: string, options: OpenStreamOptions = {}): Promise<EventStream> {
  const { timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  const headers: Record<string, string> = { accept: 'text/event-stream', ...options.headers };
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const get = new URL(url).protocol === 'https:' ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    const request = get(url, { headers });
    const timer = setTimeout(() => {
      request.destroy();
      reject(new Error(`GET ${url}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    request.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.once('response', (response) => {
      clearTimeout(timer);
      const type = response.headers['content-type'] ?? '';
      if (response.statusCode === 200 && type.startsWith('text/event-stream')) {
        resolve(new EventStream(url, request, response));
        return;
      }
      readBody(response).then(
        (body) => reject(new SeatstreamApiError(`GET ${url}`, response.statusCode ?? 0, body)),
        reject,
      );
    });
    request.end();
  });
}

export class EventStream {
  /** Every event received, in order (heartbeats included). */
  readonly events: StreamEvent[] = [];
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The response ended (the server ended it, or `close()`). */
  ended = false;
  /** Settles when the response has ended. */
  readonly finished: Promise<void>;
  private readonly parser = new SseParser();
  private readonly waiters = new Set<Waiter>();
  private closing = false;

  constructor(
    readonly url: string,
    private readonly request: ClientRequest,
    private readonly response: IncomingMessage,
  ) {
    this.status = response.statusCode ?? 0;
    this.headers = response.headers;
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      for (const message of this.parser.feed(chunk)) this.receive(toStreamEvent(message));
    });
    this.finished = new Promise((done) => {
      const finish = () => {
        if (this.ended) return;
        this.ended = true;
        this.settleAll(this.closing ? 'closed' : 'ended');
        done();
      };
      response.once('end', finish);
      response.once('close', finish);
      // A reset connection: the stream has ended; the events so far stay readable.
      response.on('error', finish);
      request.on('error', finish);
    });
  }

  /** The last `id:` received, as a browser's EventSource keeps it (id-only blocks count). */
  get lastEventId(): string | undefined {
    return this.parser.lastEventId;
  }

  /** The last `retry:` hint received (ms). */
  get retryMs(): number | undefined {
    return this.parser.retryMs;
  }

  /** Comment lines received (`heartbeat` for the server's comment heartbeats). */
  get comments(): readonly string[] {
    return this.parser.comments;
  }

  /** The events of one type received so far: `ofType('seat')`. */
  ofType<T extends StreamEventType>(type: T): EventOfType<T>[] {
    return this.events.filter((event): event is EventOfType<T> => event.type === type);
  }

  /**
   * The first event (from `since`, already received or still to come) that matches; rejects with
   * a StreamWaitError listing what arrived when none does within `timeoutMs`, or the stream ends.
   * `waitFor('seat', (e) => e.data.scheduleSeatId === 5)` narrows the event to its type.
   */
  waitFor<T extends StreamEventType>(
    type: T,
    predicate?: (event: EventOfType<T>) => boolean,
    options?: WaitOptions,
  ): Promise<EventOfType<T>>;
  waitFor<E extends StreamEvent>(predicate: (event: StreamEvent) => event is E, options?: WaitOptions): Promise<E>;
  waitFor(predicate: (event: StreamEvent) => boolean, options?: WaitOptions): Promise<StreamEvent>;
  waitFor(
    first: StreamEventType | ((event: StreamEvent) => boolean),
    second?: ((event: never) => boolean) | WaitOptions,
    third?: WaitOptions,
  ): Promise<StreamEvent> {
    let match: (event: StreamEvent) => boolean;
    let options: WaitOptions;
    let label: string;
    if (typeof first === 'string') {
      const predicate = second as ((event: StreamEvent) => boolean) | undefined;
      match = (event) => event.type === first && (predicate === undefined || predicate(event));
      options = third ?? {};
      label = predicate ? `a ${first} event matching ${source(predicate)}` : `a ${first} event`;
    } else {
      match = first;
      options = (second as WaitOptions | undefined) ?? {};
      label = `an event matching ${source(first)}`;
    }
    const { timeoutMs = DEFAULT_TIMEOUT_MS, since = 0 } = options;
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { match, since, label: options.label ?? label, timeoutMs, resolve, reject };
      for (let i = since; i < this.events.length; i++) if (this.offer(waiter, this.events[i]!)) return;
      if (this.ended) return this.settle(waiter, this.closing ? 'closed' : 'ended');
      waiter.timer = setTimeout(() => this.settle(waiter, 'timeout'), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Ends the stream from this side; pending `waitFor`s reject. Settles once the response is closed. */
  close(): Promise<void> {
    if (!this.ended) {
      this.closing = true;
      this.request.destroy();
      this.response.destroy();
    }
    return this.finished;
  }

  private receive(event: StreamEvent): void {
    this.events.push(event);
    const index = this.events.length - 1;
    for (const waiter of [...this.waiters]) {
      if (index >= waiter.since && this.offer(waiter, event)) this.forget(waiter);
    }
  }

  /** Whether the waiter is done with this event (it matched, or its predicate threw). */
  private offer(waiter: Waiter, event: StreamEvent): boolean {
    try {
      if (!waiter.match(event)) return false;
      waiter.resolve(event);
    } catch (error) {
      waiter.reject(error as Error);
    }
    return true;
  }

  private settleAll(reason: 'ended' | 'closed'): void {
    for (const waiter of [...this.waiters]) this.settle(waiter, reason);
  }

  private settle(waiter: Waiter, reason: StreamWaitError['reason']): void {
    this.forget(waiter);
    const why =
      reason === 'timeout'
        ? `none within ${waiter.timeoutMs} ms`
        : reason === 'ended'
          ? 'the stream ended first'
          : 'the stream was closed first';
    const message = `Waited for ${waiter.label} on GET ${this.url}: ${why}. ${this.arrived(waiter.since)}`;
    waiter.reject(new StreamWaitError(message, reason, [...this.events]));
  }

  private forget(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    this.waiters.delete(waiter);
  }

  /** What arrived, for an error message: the last events, one a line, numbered as in `events`. */
  private arrived(since: number): string {
    const { events } = this;
    if (events.length === 0) return 'No event arrived.';
    const from = Math.max(0, events.length - LISTED);
    const lines = events.slice(from).map((event, i) => `  #${from + i} ${describeEvent(event)}`);
    const skipped = from > 0 ? `  (${from} earlier not shown)\n` : '';
    const looked = since > 0 ? ` (looking from #${since})` : '';
    return `${events.length} event${events.length === 1 ? '' : 's'} arrived${looked}:\n${skipped}${lines.join('\n')}`;
  }
}

/** A predicate's source, shortened, to say in an error message what was awaited. */
function source(predicate: (event: never) => boolean): string {
  const text = predicate.toString().replace(/\s+/g, ' ');
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

async function readBody(response: IncomingMessage): Promise<unknown> {
  response.setEncoding('utf8');
  let text = '';
  for await (const chunk of response) text += chunk as string;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
