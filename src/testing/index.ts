/**
 * `seatstream/testing`: a real seatstream in a test (embedded, or on a Redis under a key prefix
 * of its own, cleaned up on close), typed event streams with `waitFor`, and the API as the buyer
 * and the service. Guide: docs/testing.md.
 */
export { startSeatstream, TestSeatstream, kitDefaults, type StartOptions, type SeatstreamApp } from './start.js';
export {
  SeatstreamApi,
  type ApiResponse,
  type BuyerChange,
  type BuyerSeat,
  type Credential,
  type GuestSession,
  type Notice,
  type Order,
  type RequestOptions,
  type ScheduleLayout,
  type ScheduleResult,
  type SeatMap,
  type ServiceChange,
  type ServiceSeat,
} from './api.js';
export { SeatstreamApiError } from './api-error.js';
export {
  EventStream,
  StreamWaitError,
  openEventStream,
  type OpenStreamOptions,
  type WaitOptions,
} from './event-stream.js';
export {
  openNotificationStream,
  openScheduleStream,
  openSchedulesStream,
  type ScheduleStreamOptions,
  type SchedulesStreamOptions,
} from './seat-streams.js';
export type {
  ConnectedStreamEvent,
  CursorStreamEvent,
  DeletedStreamEvent,
  ErrorStreamEvent,
  EventOfType,
  HeartbeatStreamEvent,
  HoldNoticeStreamEvent,
  NoticeStreamEvent,
  SeatStreamEvent,
  SnapshotStreamEvent,
  StreamEvent,
  StreamEventType,
} from './stream-events.js';
export { SseParser, type SseMessage } from './sse-parser.js';
export { dropKeyPrefix, keysWithPrefix, uniqueKeyPrefix } from './redis-prefix.js';
export type { Config } from '../config.js';
export type { HoldNoticeData, HoldNoticeEvent } from '../protocol/notices.js';
export type { PublicSeat, SeatEventData, SeatStatus, SnapshotData } from '../protocol/seat-events.js';
