/**
 * seatstream/client: a browser and Node client for seatstream's seat streams (docs/client.md).
 */
export {
  SeatstreamClient,
  MAX_SCHEDULES,
  type SeatstreamClientOptions,
  type ClientEvents,
  type ClientStats,
  type SeatEvent,
  type SnapshotEvent,
  type ResyncEvent,
  type NoticeEvent,
} from './seatstream-client.js';
export { SeatApi, DEMO_CHECKOUT_PATH, type SeatApiOptions } from './seat-api.js';
export {
  Connection,
  CONNECTING,
  OPEN,
  CLOSED,
  type ConnectionState,
  type ConnectionOptions,
  type EventSourceLike,
  type EventSourceConstructor,
  type Frame,
} from './connection.js';
export { ScheduleSeatMap, type SeatChange, type SeatChangeSource, type ApplyOutcome } from './seat-map.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export { Emitter, type Listener } from './emitter.js';
export { parseEventId, formatEventId, isNotNewer, type EventId } from '../protocol/event-id.js';
export { formatCursor } from '../protocol/cursor.js';
export {
  HOLD_NOTICE_EVENTS,
  NOTICES_CURSOR_LABEL,
  type HoldNoticeEvent,
  type HoldNoticeData,
} from '../protocol/notices.js';
export {
  SeatstreamError,
  ApiError,
  NetworkError,
  ProtocolError,
  StreamError,
  apiErrorOf,
  type ApiErrorCode,
} from './errors.js';
export {
  SEAT_STATUSES,
  isSeatStatus,
  type SeatStatus,
  type Seat,
  type SeatView,
  type SeatEventData,
  type HeartbeatData,
  type SnapshotData,
  type StreamErrorData,
  type SeatOperation,
  type SeatChangeResult,
  type Session,
  type SeatsResponse,
  type FetchLike,
  type FetchCredentials,
  type FetchResponseLike,
} from './types.js';
