import type { Observable } from 'rxjs';
import type { EmitFailureHandler } from './emit-failure-handler.js';
import type { EmitResult } from './emit-result.js';

/** Reactor's `Sinks.Many`: any number of `next` signals, then complete or error. */
export interface ManySink<T> {
  tryEmitNext(value: T): EmitResult;
  tryEmitComplete(): EmitResult;
  tryEmitError(error: unknown): EmitResult;
  emitNext(value: T, onFailure: EmitFailureHandler): void;
  emitComplete(onFailure: EmitFailureHandler): void;
  emitError(error: unknown, onFailure: EmitFailureHandler): void;
  /** Reactor's `asFlux()`; the same Observable instance on every call. */
  asObservable(): Observable<T>;
  currentSubscriberCount(): number;
}

/** Reactor's `Sinks.Empty`: a single terminal signal, replayed to late subscribers. */
export interface EmptySink<T = never> {
  tryEmitEmpty(): EmitResult;
  tryEmitError(error: unknown): EmitResult;
  emitEmpty(onFailure: EmitFailureHandler): void;
  emitError(error: unknown, onFailure: EmitFailureHandler): void;
  /** Reactor's `asMono()`. */
  asObservable(): Observable<T>;
  currentSubscriberCount(): number;
}

/** Reactor's `Sinks.One`: a promise-like sink (value + complete, empty, or error), replayed. */
export interface OneSink<T> extends EmptySink<T> {
  tryEmitValue(value: T): EmitResult;
  emitValue(value: T, onFailure: EmitFailureHandler): void;
}
