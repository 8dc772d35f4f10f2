import { DELETED_EVENT, SNAPSHOT_EVENT } from '../protocol/sse-frames.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { Emitter } from './emitter.js';

/** `EventSource.readyState` values (the global may not exist in Node). */
export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSED = 2;

/** What the client needs of an EventSource: the browser's, or e.g. the `eventsource` package's in Node. */
export interface EventSourceLike {
  readonly readyState: number;
  // biome-ignore lint/suspicious/noExplicitAny: EventSource listeners take DOM event types Node lacks
  addEventListener(type: string, listener: (event: any) => void): void;
  close(): void;
}

export type EventSourceConstructor = new (url: string, init?: { withCredentials?: boolean }) => EventSourceLike;

/**
 * - `connecting`: a new EventSource is being opened;
 * - `live`: the stream is open;
 * - `reconnecting`: the stream broke; the client opens a new one at `retryAt` (epoch ms), after
 *   `delayMs` of backoff (attempt `attempt` since the last healthy connection);
 * - `offline`: not trying: the browser reports no network, or `maxRetries` ran out
 *   (`retryNow()` tries again);
 * - `closed`: `close()` was called.
 */
export type ConnectionState =
  | { status: 'connecting'; attempt: number }
  | { status: 'live'; since: number }
  | { status: 'reconnecting'; attempt: number; delayMs: number; retryAt: number }
  | { status: 'offline'; reason: 'network' | 'retries-exhausted' }
  | { status: 'closed' };

/**
 * One dispatched SSE event: `message` (unnamed), `snapshot`, `deleted`, the server's `error`
 * frame, or a `notice` of the private stream, named `name`.
 */
export interface Frame {
  type: 'message' | 'snapshot' | 'error' | 'deleted' | 'notice';
  data: string;
  lastEventId: string;
  /** The event's name, for a `notice`. */
  name?: string;
}

export interface ConnectionOptions {
  /** The URL of a new EventSource; called for every connection the client opens itself. */
  url(): string;
  EventSource: EventSourceConstructor;
  withCredentials?: boolean;
  backoff?: BackoffOptions;
  /** Consecutive failed attempts before giving up (`offline`). Default: never give up. */
  maxRetries?: number;
  /** A connection open this long counts as healthy: the failure count starts again. Default 5000 ms. */
  stableAfterMs?: number;
  /** Follow the browser's `online` / `offline` events. Default: true where `window` exists. */
  watchNetwork?: boolean;
  /**
   * Reconnect when an open stream delivers nothing (no event, no heartbeat message) for this
   * long: a connection cut without a FIN never errors by itself. Needs data heartbeats
   * (HEARTBEAT_STYLE `both` or `data`, the default); use about 2.5 × HEARTBEAT_MS. Default: off.
   */
  idleTimeoutMs?: number;
  /** Named events to pass on as `notice` frames (a private stream's notices). */
  notices?: readonly string[];
}

interface ConnectionEvents {
  state: ConnectionState;
  frame: Frame;
}

/**
 * An EventSource that does not give up, and comes back spread out.
 *
 * Whenever the stream breaks — the server ended it (lifetime reached, instance shutting down, an
 * `event: error`), the instance died, a proxy dropped it, or the EventSource gave up for good
 * (`CLOSED`: an HTTP error such as a proxy's 502, a wrong content type) — the client closes it
 * and opens a new one itself after an exponential backoff with full jitter and a cap, with a URL
 * built from what it has applied (`url()`), so the server resumes it without a gap. Crowds that
 * lost their instance at the same moment thus come back spread over the backoff window rather
 * than all at once after the same `retry:` hint; the window starts small (1 s by default) and
 * grows only while attempts keep failing. A connection that stays open `stableAfterMs` counts as
 * healthy and starts the count again. With `idleTimeoutMs`, a stream that goes silent (no event,
 * no heartbeat) counts as broken too.
 */
export class Connection extends Emitter<ConnectionEvents> {
  private readonly backoff: Backoff;
  private readonly maxRetries: number;
  private readonly stableAfterMs: number;
  private readonly watchNetwork: boolean;
  private es: EventSourceLike | undefined;
  private current: ConnectionState = { status: 'closed' };
  private active = false;
  private attempt = 0;
  private stableTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** EventSources created so far. */
  opened = 0;

  constructor(private readonly options: ConnectionOptions) {
    super();
    this.backoff = new Backoff(options.backoff);
    this.maxRetries = options.maxRetries ?? Infinity;
    this.stableAfterMs = options.stableAfterMs ?? 5000;
    this.watchNetwork = options.watchNetwork ?? typeof window !== 'undefined';
  }

  get state(): ConnectionState {
    return this.current;
  }

  open(): void {
    if (this.active) return;
    this.active = true;
    this.attempt = 0;
    if (this.watchNetwork) this.listenToNetwork(true);
    this.create();
  }

  close(): void {
    if (!this.active) return;
    this.active = false;
    this.teardown();
    if (this.watchNetwork) this.listenToNetwork(false);
    this.setState({ status: 'closed' });
  }

  /** Drops the connection and opens a new one (with a fresh `url()`) after a backoff delay. */
  restart(): void {
    if (!this.active) return;
    this.teardown();
    this.fail();
  }

  /** Opens a new connection now, whatever the state (a "retry" button, the network is back). */
  retryNow(): void {
    if (!this.active) return;
    this.attempt = 0;
    this.create();
  }

  private create(): void {
    this.teardown();
    const es = new this.options.EventSource(this.options.url(), {
      withCredentials: this.options.withCredentials ?? false,
    });
    this.es = es;
    this.opened++;
    this.setState({ status: 'connecting', attempt: this.attempt });
    es.addEventListener('open', () => {
      if (es === this.es) this.onOpen();
    });
    // No listener for the multi-schedule route's `cursor` event: the client never lets the
    // EventSource reconnect by itself, and builds the cursor of a new connection from its maps.
    es.addEventListener('message', (event: { data: string; lastEventId?: string }) => this.frame(es, 'message', event));
    es.addEventListener(SNAPSHOT_EVENT, (event: { data: string; lastEventId?: string }) =>
      this.frame(es, 'snapshot', event),
    );
    es.addEventListener(DELETED_EVENT, (event: { data: string; lastEventId?: string }) =>
      this.frame(es, 'deleted', event),
    );
    for (const name of this.options.notices ?? []) {
      es.addEventListener(name, (event: { data: string; lastEventId?: string }) =>
        this.frame(es, 'notice', event, name),
      );
    }
    es.addEventListener('error', (event: { data?: unknown; lastEventId?: string }) => {
      if (es !== this.es) return;
      // A named `error` event from the server carries data; the EventSource's own error does not.
      if (typeof event?.data === 'string') this.frame(es, 'error', event as { data: string; lastEventId?: string });
      else this.onError();
    });
  }

  private onOpen(): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.stableTimer);
    this.stableTimer = setTimeout(() => (this.attempt = 0), this.stableAfterMs);
    this.armIdleTimer();
    this.setState({ status: 'live', since: Date.now() });
  }

  private armIdleTimer(): void {
    const timeout = this.options.idleTimeoutMs;
    if (timeout === undefined) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.onError(), timeout);
  }

  private frame(
    es: EventSourceLike,
    type: Frame['type'],
    event: { data: string; lastEventId?: string },
    name?: string,
  ): void {
    if (es !== this.es) return;
    if (type === 'error') {
      // The server is ending this stream because it failed: do not count it as healthy.
      clearTimeout(this.stableTimer);
    }
    this.armIdleTimer();
    const frame: Frame = { type, data: event.data, lastEventId: event.lastEventId ?? '' };
    if (name !== undefined) frame.name = name;
    this.emit('frame', frame);
  }

  private onError(): void {
    if (!this.active) return;
    // Not left to the EventSource's own reconnect: that waits the same `retry:` for everyone.
    this.teardown();
    this.fail();
  }

  private fail(): void {
    this.attempt++;
    if (this.attempt > this.maxRetries) {
      this.setState({ status: 'offline', reason: 'retries-exhausted' });
      return;
    }
    const delayMs = this.backoff.delayMs(this.attempt);
    this.setState({ status: 'reconnecting', attempt: this.attempt, delayMs, retryAt: Date.now() + delayMs });
    this.retryTimer = setTimeout(() => this.create(), delayMs);
  }

  private teardown(): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.stableTimer);
    clearTimeout(this.idleTimer);
    const es = this.es;
    this.es = undefined;
    es?.close();
  }

  private setState(state: ConnectionState): void {
    this.current = state;
    this.emit('state', state);
  }

  private readonly onOffline = (): void => {
    if (!this.active) return;
    this.teardown();
    this.setState({ status: 'offline', reason: 'network' });
  };

  private readonly onOnline = (): void => {
    if (this.active && this.current.status === 'offline') this.retryNow();
  };

  private listenToNetwork(on: boolean): void {
    if (typeof window === 'undefined' || typeof window.addEventListener !== 'function') return;
    const method = on ? 'addEventListener' : 'removeEventListener';
    window[method]('offline', this.onOffline);
    window[method]('online', this.onOnline);
  }
}
