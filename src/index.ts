/** seatstream as a library: build the app, or use its layers on their own. */
export { buildApp, DEMO_SCHEDULE, type BuildOptions } from './http/app.js';
export { loadConfig, defaultConfig, ConfigError, type Config, type HeartbeatStyle } from './config.js';
export { createBackend, memoryBackend, redisBackend, type Backend } from './backend.js';
export type { EventBus, BusEvent, History } from './bus/event-bus.js';
export { formatEventId, parseEventId, type EventId } from './bus/event-id.js';
export { LocalBus } from './bus/local-bus.js';
export { RedisBus } from './bus/redis-bus.js';
export { StorageUnavailableError } from './bus/unavailable-error.js';
export { TopicHub, type TopicHubOptions, type TopicPosition, type StreamRequest } from './hub/topic-hub.js';
export type { FrameCodec, Snapshot, SnapshotSource } from './hub/frame-codec.js';
export type { SeatStore, SeatCommand, HoldCommand, MutationResult } from './seats/seat-store.js';
export { MemorySeatStore } from './seats/memory-seat-store.js';
export { RedisSeatStore } from './seats/redis-seat-store.js';
export { SeatHoldService, type SeatChange } from './seats/seat-hold-service.js';
export { SeatError, type SeatErrorCode } from './seats/seat-error.js';
export type { Layout, SeatState, SeatStatus, ScheduleState } from './seats/seat.js';
