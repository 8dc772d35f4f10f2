/** seatstream as a library: build the app, or use its layers on their own. */
export { buildApp, DEMO_SCHEDULE, type BuildOptions } from './http/app.js';
export { loadConfig, defaultConfig, ConfigError, type Config, type HeartbeatStyle } from './config.js';
export type { Backend } from './backends/backend.js';
export { createBackend } from './backends/create-backend.js';
export { memoryBackend } from './backends/memory/memory-backend.js';
export { LocalBus } from './backends/memory/local-bus.js';
export { MemorySeatStore } from './backends/memory/memory-seat-store.js';
export { redisBackend } from './backends/redis/redis-backend.js';
export { RedisBus } from './backends/redis/redis-bus.js';
export { RedisSeatStore } from './backends/redis/redis-seat-store.js';
export type { EventBus, BusEvent, BusSubscription, History } from './bus/event-bus.js';
export { StorageUnavailableError } from './bus/unavailable-error.js';
export { TopicHub, type TopicHubOptions, type TopicPosition, type StreamRequest } from './hub/topic-hub.js';
export type { FrameCodec, Snapshot, SnapshotSource } from './hub/frame-codec.js';
export { formatEventId, parseEventId, type EventId } from './protocol/event-id.js';
export { ERRORS, type ErrorCode, type ErrorBody } from './protocol/errors.js';
export type {
  SeatStore,
  SeatCommand,
  HoldCommand,
  MutationResult,
  ImportCommand,
  ImportResult,
  ScheduleSummary,
} from './seats/seat-store.js';
export { SeatHoldService, type SeatChange } from './seats/seat-hold-service.js';
export { SeatError, type SeatErrorCode } from './seats/seat-error.js';
export type { Layout, SeatState, SeatStatus, ScheduleState } from './seats/seat.js';
