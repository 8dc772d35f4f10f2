import type { BackoffOptions } from './backoff.js';
import { Connection, type ConnectionState, type EventSourceConstructor, type Frame } from './connection.js';
import { Emitter } from './emitter.js';
import { SeatstreamError, StreamError } from './errors.js';
import { decodeCompactRuns, isCompactSnapshot } from '../protocol/compact-map.js';
import { formatCursor } from '../protocol/cursor.js';
import { type EventId, formatEventId, parseEventId } from '../protocol/event-id.js';
import {
  HOLD_NOTICE_EVENTS,
  type HoldNoticeData,
  type HoldNoticeEvent,
  NOTICES_CURSOR_LABEL,
} from '../protocol/notices.js';
import { SeatApi } from './seat-api.js';
import { ScheduleSeatMap, type SeatChange } from './seat-map.js';
import {
  type FetchCredentials,
  type FetchLike,
  isSeatStatus,
  type SeatChangeResult,
  type SeatEventData,
  type SeatOperation,
  type SeatStatus,
  type SeatView,
  type Session,
  type SnapshotData,
} from './types.js';

/** Every snapshot in the compact form: about 50 times smaller for a big venue (protocol/compact-map.ts). */
const COMPACT = '&snapshotForm=compact';

/** Schedules one connection may follow (the server's limit). */
export const MAX_SCHEDULES = 20;

export interface SeatstreamClientOptions {
  /** The schedule(s) to follow, on one connection. */
  schedules: number | readonly number[];
  /** Origin (and path prefix) of the API, e.g. `http://127.0.0.1:3000`. Default '' (same origin, browsers). */
  baseUrl?: string;
  /** Default: the global EventSource. In Node, pass one, e.g. `EventSource` from the `eventsource` package. */
  EventSource?: EventSourceConstructor;
  /** Default: the global fetch. */
  fetch?: FetchLike;
  /** A session token to use (else `startSession()`, or the browser's session cookie). */
  token?: string;
  /** Where `checkout()` posts: default the demo's checkout route (see `SeatApiOptions.checkoutPath`). */
  checkoutPath?: (scheduleId: number) => string;
  /** fetch's `credentials` (default `same-origin`); EventSource's `withCredentials` follows `include`. */
  credentials?: FetchCredentials;
  /** Reconnect backoff (full jitter): window of the first attempt and the cap. Default 1 s, 30 s. */
  backoff?: BackoffOptions;
  /** Consecutive failed attempts before the state turns `offline`. Default: never give up. */
  maxRetries?: number;
  /** How long a connection must stay open to count as healthy (resets the backoff). Default 5000 ms. */
  stableAfterMs?: number;
  /** After each snapshot, ask `GET …/seats` which seats are mine (needs a session). Default true. */
  trackMine?: boolean;
  /** Follow the browser's `online` / `offline` events. Default: true in browsers. */
  watchNetwork?: boolean;
  /** Reconnect when the stream is silent this long (no event, no data heartbeat); ~2.5 × HEARTBEAT_MS. Default: off. */
  idleTimeoutMs?: number;
  /**
   * Also follow my private stream on the same connection (`notice` events: my holds about to
   * expire, expired, reserved or released, and the service's messages). Needs an identity: the
   * session cookie, or the token, which then travels in the stream's URL. Default false.
   */
  notifications?: boolean;
  /** Names of the service's own notices to listen for, besides `message`. */
  noticeEvents?: readonly string[];
}

/** A seat event of the stream, applied in id order, each once. */
export interface SeatEvent {
  scheduleId: number;
  seatId: number;
  status: SeatStatus;
  eventId: string;
  timestamp: string;
}

export interface SnapshotEvent {
  scheduleId: number;
  eventId: string;
  seats: readonly SeatView[];
}

/**
 * A notice of my private stream, each once: seatstream's about my holds (`hold-expiring`,
 * `hold-expired`, `reserved`, `released`, with `HoldNoticeData`), or one the service sent
 * (`message`, or a name of `noticeEvents`) with whatever JSON it sent.
 */
export type NoticeEvent =
  | { event: HoldNoticeEvent; data: HoldNoticeData; eventId: string }
  | { event: string; data: unknown; eventId: string };

/** The map could not be continued from the stream (a gap, another epoch): the client reconnects to repair it. */
export interface ResyncEvent {
  scheduleId: number;
  reason: 'gap' | 'stale-epoch' | 'no-map';
}

export interface ClientEvents {
  /** Connection state changed. */
  state: ConnectionState;
  /** A schedule's map was (re)built from a snapshot: render it all. */
  snapshot: SnapshotEvent;
  /** A new seat event was applied (for an activity log). */
  event: SeatEvent;
  /** A seat's local view changed (stream, my own answer, or a sync of my seats): repaint that seat. */
  seat: SeatChange;
  heartbeat: { timestamp: string };
  resync: ResyncEvent;
  /** The service deleted a schedule this client follows: the client has closed (see docs/client.md). */
  deleted: { scheduleId: number };
  /** A notice of my private stream (with `notifications`). */
  notice: NoticeEvent;
  /** The service ended my streams (`DELETE /api/users/:userId/streams`): the client has closed. */
  'streams-ended': { userId: string };
  /** The server ended a stream with an error, or a background sync failed. */
  error: SeatstreamError;
}

export interface ClientStats {
  /** EventSources opened by the client (the EventSource's own reconnects are not counted). */
  connections: number;
  snapshots: number;
  events: number;
  /** Events whose id was already applied (ignored). */
  duplicates: number;
  heartbeats: number;
  resyncs: number;
  /** Notices of my private stream handed out. */
  notices: number;
}

/**
 * Follows one or several schedules over one Server-Sent Events connection and keeps a local
 * seat map per schedule, consistent with the server: a snapshot, then every event in id order,
 * once. Reconnects by itself and resumes where it stopped. Also holds, releases and checks out.
 *
 * ```ts
 * const client = new SeatstreamClient({ schedules: 1 });
 * client.on('snapshot', ({ seats }) => render(seats));
 * client.on('seat', ({ seat }) => paint(seat));
 * await client.startSession();
 * client.connect();
 * await client.hold([5, 6]);
 * ```
 */
export class SeatstreamClient extends Emitter<ClientEvents> {
  readonly api: SeatApi;
  readonly scheduleIds: readonly number[];
  private readonly maps = new Map<number, ScheduleSeatMap>();
  private readonly connection: Connection;
  private readonly trackMine: boolean;
  private readonly notifications: boolean;
  /** The last notice of my private stream handed out. */
  private noticeId: EventId | undefined;
  private readonly counters = { snapshots: 0, events: 0, duplicates: 0, heartbeats: 0, resyncs: 0, notices: 0 };

  constructor(options: SeatstreamClientOptions) {
    super();
    const ids = typeof options.schedules === 'number' ? [options.schedules] : [...new Set(options.schedules)];
    if (
      ids.length === 0 ||
      ids.length > MAX_SCHEDULES ||
      !ids.every((id) => Number.isSafeInteger(id) && id > 0 && id <= 2_147_483_647)
    ) {
      throw new RangeError(`seatstream: schedules must be 1 to ${MAX_SCHEDULES} ids between 1 and 2147483647`);
    }
    this.scheduleIds = ids;
    for (const id of ids) this.maps.set(id, new ScheduleSeatMap(id));
    this.trackMine = options.trackMine ?? true;
    this.notifications = options.notifications ?? false;
    this.api = new SeatApi({
      ...(options.baseUrl !== undefined && { baseUrl: options.baseUrl }),
      ...(options.fetch && { fetch: options.fetch }),
      ...(options.token && { token: options.token }),
      ...(options.credentials && { credentials: options.credentials }),
      ...(options.checkoutPath && { checkoutPath: options.checkoutPath }),
      onSession: () => this.syncAllMine(),
    });
    const EventSourceImpl = options.EventSource ?? (globalThis as { EventSource?: EventSourceConstructor }).EventSource;
    if (!EventSourceImpl)
      throw new TypeError(
        'seatstream: no global EventSource; pass options.EventSource (e.g. from the eventsource package)',
      );
    this.connection = new Connection({
      url: () => this.streamUrl(),
      EventSource: EventSourceImpl,
      withCredentials: options.credentials === 'include',
      ...(options.backoff && { backoff: options.backoff }),
      ...(options.maxRetries !== undefined && { maxRetries: options.maxRetries }),
      ...(options.stableAfterMs !== undefined && { stableAfterMs: options.stableAfterMs }),
      ...(options.watchNetwork !== undefined && { watchNetwork: options.watchNetwork }),
      ...(options.idleTimeoutMs !== undefined && { idleTimeoutMs: options.idleTimeoutMs }),
      ...(this.notifications && { notices: [...HOLD_NOTICE_EVENTS, ...(options.noticeEvents ?? [])] }),
    });
    this.connection.on('state', (state) => this.emit('state', state));
    this.connection.on('frame', (frame) => this.onFrame(frame));
  }

  /** Opens the stream. */
  connect(): this {
    this.connection.open();
    return this;
  }

  /** Closes the stream for good (until `connect()`). */
  close(): void {
    this.connection.close();
  }

  /** Reconnects now (e.g. a "retry" button while `offline`). */
  reconnect(): void {
    this.connection.retryNow();
  }

  get state(): ConnectionState {
    return this.connection.state;
  }

  get stats(): ClientStats {
    return { connections: this.connection.opened, ...this.counters };
  }

  /** True once the schedule's first snapshot arrived. */
  loaded(scheduleId = this.defaultSchedule()): boolean {
    return this.map(scheduleId).loaded;
  }

  /** The local seat map of a schedule (empty until its snapshot arrived). */
  seats(scheduleId = this.defaultSchedule()): ReadonlyMap<number, SeatView> {
    return this.map(scheduleId).seats;
  }

  seat(seatId: number, scheduleId = this.defaultSchedule()): SeatView | undefined {
    return this.map(scheduleId).get(seatId);
  }

  /** My held seats in a schedule, earliest expiry first. */
  myHolds(scheduleId = this.defaultSchedule()): SeatView[] {
    return this.map(scheduleId).myHolds();
  }

  /** The id of the last event reflected in a schedule's map. */
  lastEventId(scheduleId = this.defaultSchedule()): string | undefined {
    const id = this.map(scheduleId).eventId;
    return id && formatEventId(id);
  }

  /** Starts a guest session (or keeps the cookie's) and uses it for the calls below. */
  startSession(): Promise<Session> {
    return this.api.startSession();
  }

  /** Holds seats (all or nothing). The local map shows them as mine at once. */
  hold(seatIds: readonly number[], scheduleId = this.defaultSchedule()): Promise<SeatChangeResult> {
    return this.mutate('hold', seatIds, scheduleId);
  }

  release(seatIds: readonly number[], scheduleId = this.defaultSchedule()): Promise<SeatChangeResult> {
    return this.mutate('release', seatIds, scheduleId);
  }

  /**
   * Buys my held seats through the checkout (`checkoutPath`; by default the demo's): they turn
   * RESERVED and stay mine.
   */
  checkout(seatIds: readonly number[], scheduleId = this.defaultSchedule()): Promise<SeatChangeResult> {
    return this.mutate('checkout', seatIds, scheduleId);
  }

  /**
   * Logs the session out (its token is refused from now on) and forgets it; no seat is mine any
   * more as far as this client knows. Held seats stay held until they expire.
   */
  async logout(): Promise<void> {
    try {
      await this.api.logout();
    } finally {
      for (const map of this.maps.values()) for (const change of map.forgetMine()) this.emit('seat', change);
    }
  }

  /** Asks the server which seats of a schedule are mine and marks them. */
  async syncMine(scheduleId = this.defaultSchedule()): Promise<void> {
    const map = this.map(scheduleId);
    const response = await this.api.seats(scheduleId);
    if (!map.loaded) return;
    for (const change of map.applyMine(response)) this.emit('seat', change);
  }

  /** The URL a new connection opens: resume from what was applied, snapshots (compact) for the rest. */
  streamUrl(): string {
    const positions: Array<[number | string, EventId]> = [];
    for (const [id, map] of this.maps) if (map.eventId) positions.push([id, map.eventId]);
    if (this.notifications) return this.multiUrl(positions);
    if (this.scheduleIds.length === 1) {
      const path = `/api/schedules/${this.scheduleIds[0]}/seats/events`;
      const at = positions[0];
      return this.api.url(
        `${path}?${at ? `lastEventId=${encodeURIComponent(formatEventId(at[1]))}` : 'snapshot=true'}${COMPACT}`,
      );
    }
    return this.multiUrl(positions);
  }

  /** The multi-schedule route (with my notices, if asked): schedules missing from the cursor start with a snapshot. */
  private multiUrl(positions: Array<[number | string, EventId]>): string {
    let path = `/api/events?schedules=${this.scheduleIds.join(',')}`;
    if (this.notifications) {
      path += '&notifications=true';
      if (this.noticeId) positions.push([NOTICES_CURSOR_LABEL, this.noticeId]);
      // An EventSource sends no Authorization header; without a token the cookie names me.
      if (this.api.token) path += `&access_token=${encodeURIComponent(this.api.token)}`;
    }
    const resume = positions.some(([label]) => label !== NOTICES_CURSOR_LABEL);
    if (positions.length > 0) path += `&lastEventId=${encodeURIComponent(formatCursor(positions))}`;
    return this.api.url(`${resume ? path : `${path}&snapshot=true`}${COMPACT}`);
  }

  private async mutate(
    operation: SeatOperation,
    seatIds: readonly number[],
    scheduleId: number,
  ): Promise<SeatChangeResult> {
    const result = await this.api[operation](scheduleId, seatIds);
    const map = this.maps.get(scheduleId);
    // Only my own held seats can be checked out, so what it reserved is mine, whether or not an
    // operator's checkout answer says so (the service's reserve answer names a holder, not `mine`).
    const options = operation === 'checkout' ? { mine: true } : {};
    if (map) for (const change of map.applyResult(result, options)) this.emit('seat', change);
    return result;
  }

  private onFrame(frame: Frame): void {
    if (frame.type === 'notice') {
      this.onNotice(frame.name!, frame);
      return;
    }
    const data = parseJson(frame.data);
    if (!data) {
      if (this.notifications && frame.type === 'message') this.onNotice('message', frame);
      return;
    }
    if (frame.type === 'error') {
      this.emit(
        'error',
        new StreamError(String(data.error ?? 'INTERNAL'), String(data.message ?? 'The server ended the stream')),
      );
      return;
    }
    if (frame.type === 'snapshot') {
      this.onSnapshot(frame, data as unknown as SnapshotData);
      return;
    }
    if (frame.type === 'deleted') {
      // The server ends the whole connection after it: reconnecting would only meet a 404, or
      // (my streams ended by the service) be refused or ended again.
      this.connection.close();
      if (typeof data.userId === 'string') this.emit('streams-ended', { userId: data.userId });
      else this.emit('deleted', { scheduleId: Number(data.scheduleId) });
      return;
    }
    if (data.isHeartbeat === true) {
      this.counters.heartbeats++;
      this.emit('heartbeat', { timestamp: String(data.timestamp) });
      return;
    }
    const event = data as unknown as SeatEventData;
    const map = this.maps.get(event.scheduleId);
    const id = parseEventId(frame.lastEventId);
    if (!map || !id || !Number.isSafeInteger(event.scheduleSeatId) || !isSeatStatus(event.status)) {
      // Unnamed and no seat event: on a connection with my notices, the service's `message`.
      if (this.notifications) this.onNotice('message', frame);
      return;
    }
    const outcome = map.applyEvent(id, event);
    switch (outcome.kind) {
      case 'applied':
        this.counters.events++;
        this.emit('event', {
          scheduleId: map.scheduleId,
          seatId: event.scheduleSeatId,
          status: event.status,
          eventId: frame.lastEventId,
          timestamp: event.timestamp,
        });
        if (outcome.change) this.emit('seat', outcome.change);
        return;
      case 'duplicate':
        this.counters.duplicates++;
        return;
      default:
        this.counters.resyncs++;
        this.emit('resync', { scheduleId: map.scheduleId, reason: outcome.kind });
        // A new connection resumes from the map's id (or gets a snapshot): the missing events come back.
        this.connection.restart();
    }
  }

  /** A notice of my private stream, once: one at or before the last handed out is a replay. */
  private onNotice(name: string, frame: Frame): void {
    const id = parseEventId(frame.lastEventId);
    if (!id) return;
    const last = this.noticeId;
    if (last && last.epoch === id.epoch && id.offset <= last.offset) {
      this.counters.duplicates++;
      return;
    }
    this.noticeId = id;
    let data: unknown = frame.data;
    try {
      data = JSON.parse(frame.data);
    } catch {
      // Not JSON: handed out as the text it is.
    }
    this.counters.notices++;
    this.emit('notice', { event: name, data, eventId: frame.lastEventId });
  }

  private onSnapshot(frame: Frame, data: SnapshotData): void {
    const map = this.maps.get(data.scheduleId);
    const id = parseEventId(frame.lastEventId);
    // The compact form, asked for, or the full one: a server from before the compact form ignores the ask.
    const all = isCompactSnapshot(data) ? decodeCompactRuns(data.runs) : data.seats;
    if (!map || !id || !Array.isArray(all)) return;
    const seats = map.applySnapshot(id, { scheduleId: data.scheduleId, seats: all });
    this.counters.snapshots++;
    this.emit('snapshot', { scheduleId: map.scheduleId, eventId: frame.lastEventId, seats });
    if (this.trackMine && this.api.token) this.backgroundSync(map.scheduleId);
  }

  private syncAllMine(): void {
    for (const [id, map] of this.maps) if (map.loaded && this.trackMine) this.backgroundSync(id);
  }

  private backgroundSync(scheduleId: number): void {
    this.syncMine(scheduleId).catch((error: unknown) => {
      this.emit('error', error instanceof SeatstreamError ? error : new SeatstreamError(String(error)));
    });
  }

  private defaultSchedule(): number {
    return this.scheduleIds[0]!;
  }

  private map(scheduleId: number): ScheduleSeatMap {
    const map = this.maps.get(scheduleId);
    if (!map) throw new RangeError(`seatstream: schedule ${scheduleId} is not followed by this client`);
    return map;
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
