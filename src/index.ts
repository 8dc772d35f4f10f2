/**
 * seatstream as a package: the fastify plugin, the standalone app, the configuration, the
 * backends, and the types an embedder needs. The Sinks library is `seatstream/sinks`, the
 * browser and Node client `seatstream/client`, the testing kit `seatstream/testing`.
 */
export { seatstream, DEMO_SCHEDULE, type SeatstreamOptions } from './http/plugin.js';
export { buildApp, type BuildOptions } from './http/app.js';
export type { AppContext } from './http/context.js';
export { loadConfig, defaultConfig, ConfigError, type Config, type HeartbeatStyle } from './config.js';
export type { Backend } from './backends/backend.js';
export { createBackend } from './backends/create-backend.js';
export { memoryBackend } from './backends/memory/memory-backend.js';
export { redisBackend } from './backends/redis/redis-backend.js';
export type { EventBus, BusEvent, BusSubscription, History } from './bus/event-bus.js';
export { StorageUnavailableError } from './bus/unavailable-error.js';
export { formatEventId, parseEventId, type EventId } from './protocol/event-id.js';
export { ERRORS, type ErrorCode, type ErrorBody } from './protocol/errors.js';
export { HOLD_NOTICE_EVENTS, type HoldNoticeEvent, type HoldNoticeData } from './protocol/notices.js';
export type { SeatStore, ScheduleSummary } from './seats/seat-store.js';
export type { SeatHoldService, SeatChange } from './seats/seat-hold-service.js';
export { SeatError, type SeatErrorCode } from './seats/seat-error.js';
export type { Layout, SeatState, SeatStatus, ScheduleState } from './seats/seat.js';
