/**
 * seatstream/sinks — Project Reactor's `Sinks` on RxJS 7.
 * Standalone: no I/O, no framework. See docs/sinks.md.
 */
export { Sinks, DEFAULT_BUFFER_SIZE } from './sinks.js';
export type { ManySpec, MulticastSpec, MulticastReplaySpec, UnicastSpec, ReplayWindow } from './sinks.js';
export type { ManySink, OneSink, EmptySink } from './sink-types.js';
export { EmitResult, isSuccess, isFailure } from './emit-result.js';
export { EmitFailureHandler } from './emit-failure-handler.js';
export type { EmitSignal } from './emit-failure-handler.js';
export { EmissionError, OverflowError, IllegalStateError, orThrow } from './errors.js';
export { SinkHooks } from './hooks.js';
