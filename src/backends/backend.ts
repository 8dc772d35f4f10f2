import type { WindowCounters } from '../auth/counters.js';
import type { RevocationList } from '../auth/revocations.js';
import type { EventBus } from '../bus/event-bus.js';
import type { SeatStore } from '../seats/seat-store.js';

/**
 * The storage side of a deployment: an event bus and a seat store that write to it atomically.
 * The two must agree on atomicity (a seat change and its event are one step), so a backend is
 * always a pair from one folder: `memory/`, `redis/`, or a third of the same shape.
 */
export interface Backend {
  /** Names the backend in `/readyz` and logs. */
  readonly kind: string;
  readonly bus: EventBus;
  readonly store: SeatStore;
  /** Logged-out credentials, shared wherever the backend is shared. */
  readonly revocations: RevocationList;
  /** Rate-limit windows, shared wherever the backend is shared. */
  readonly counters: WindowCounters;
  /** Whether the backend can take writes right now (readiness, not liveness). */
  isReady(): Promise<boolean>;
  close(): Promise<void>;
}
