/**
 * What a seatstream stream carries, as typed events (docs/api.md, SSE wire format): each
 * dispatched SSE message is classified by its name and data into one kind, with its data parsed.
 */
import { HOLD_NOTICE_EVENTS, type HoldNoticeData, type HoldNoticeEvent } from '../protocol/notices.js';
import type { HeartbeatData, SeatEventData, SnapshotData, StreamErrorData } from '../protocol/seat-events.js';
import { CONNECTED_EVENT, CURSOR_EVENT, DELETED_EVENT, ERROR_EVENT, SNAPSHOT_EVENT } from '../protocol/sse-frames.js';
import type { SseMessage } from './sse-parser.js';

interface Frame<T extends string, D> {
  readonly type: T;
  /** The SSE event name (`message` for unnamed events). */
  readonly event: string;
  /** The block's own `id:`; undefined when it had none (heartbeats, `connected`, `deleted`, errors). */
  readonly id: string | undefined;
  readonly data: D;
  /** `data` as it came over the wire. */
  readonly raw: string;
}

/** One seat changed: an unnamed event with `id: offset@epoch`. */
export type SeatStreamEvent = Frame<'seat', SeatEventData>;
/** A data heartbeat (no id); also the message that carries the `retry:` hint of a stream's end. */
export type HeartbeatStreamEvent = Frame<'heartbeat', HeartbeatData>;
/** A whole seat map; its id is the last event reflected in it. */
export type SnapshotStreamEvent = Frame<'snapshot', SnapshotData>;
/** The position of a multi-schedule connection (`1:43@k3x9,2:7@k3x9`); data repeats the id. */
export type CursorStreamEvent = Frame<'cursor', string>;
/** The first event of a private stream: whose it is. */
export type ConnectedStreamEvent = Frame<'connected', { userId: string }>;
/** The last event of a stream whose schedule was deleted, or whose user's streams the service ended. */
export type DeletedStreamEvent = Frame<'deleted', { scheduleId: number } | { userId: string }>;
/** The stream failed after it opened and ends. */
export type ErrorStreamEvent = Frame<'error', StreamErrorData>;
/** What seatstream tells a holder of its holds: `hold-expiring`, `hold-expired`, `reserved`, `released`. */
export type HoldNoticeStreamEvent = Frame<'hold-notice', HoldNoticeData> & { readonly event: HoldNoticeEvent };
/**
 * Anything else: the service's notices (`event` is the name it gave, `message` by default).
 * `data` is the parsed JSON, or the text when it is not JSON.
 */
export type NoticeStreamEvent = Frame<'notice', unknown>;

export type StreamEvent =
  | SeatStreamEvent
  | HeartbeatStreamEvent
  | SnapshotStreamEvent
  | CursorStreamEvent
  | ConnectedStreamEvent
  | DeletedStreamEvent
  | ErrorStreamEvent
  | HoldNoticeStreamEvent
  | NoticeStreamEvent;

export type StreamEventType = StreamEvent['type'];

/** The event of one type: `EventOfType<'seat'>` is `SeatStreamEvent`. */
export type EventOfType<T extends StreamEventType> = Extract<StreamEvent, { type: T }>;

const HOLD_NOTICES: ReadonlySet<string> = new Set(HOLD_NOTICE_EVENTS);

export function toStreamEvent(message: SseMessage): StreamEvent {
  const { event, id, data: raw } = message;
  const data = parseJson(raw);
  const frame = { event, id, raw };
  const object = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : undefined;
  switch (event) {
    case 'message':
      // A service notice named `message` shares the name: only seatstream's shapes are seat events.
      if (object?.isHeartbeat === true) return { type: 'heartbeat', ...frame, data: data as HeartbeatData };
      if (object?.isHeartbeat === false && typeof object.scheduleSeatId === 'number')
        return { type: 'seat', ...frame, data: data as SeatEventData };
      break;
    case SNAPSHOT_EVENT:
      if (Array.isArray(object?.seats)) return { type: 'snapshot', ...frame, data: data as SnapshotData };
      break;
    case CURSOR_EVENT:
      return { type: 'cursor', ...frame, data: raw };
    case CONNECTED_EVENT:
      if (typeof object?.userId === 'string') return { type: 'connected', ...frame, data: { userId: object.userId } };
      break;
    case DELETED_EVENT:
      if (object) return { type: 'deleted', ...frame, data: data as DeletedStreamEvent['data'] };
      break;
    case ERROR_EVENT:
      if (typeof object?.error === 'string') return { type: 'error', ...frame, data: data as StreamErrorData };
      break;
    default:
      if (HOLD_NOTICES.has(event) && Array.isArray(object?.seatIds))
        return { type: 'hold-notice', ...frame, event: event as HoldNoticeEvent, data: data as HoldNoticeData };
  }
  return { type: 'notice', ...frame, data: data === undefined ? raw : data };
}

/** One line per event, for error messages: `seat 3@k3x9 {"scheduleId":1,…}`. */
export function describeEvent(event: StreamEvent, maxData = 160): string {
  const name = event.type === 'notice' || event.type === 'hold-notice' ? `${event.type} ${event.event}` : event.type;
  const data = event.raw.length > maxData ? `${event.raw.slice(0, maxData)}…` : event.raw;
  return `${name}${event.id === undefined ? '' : ` ${event.id}`} ${data}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
