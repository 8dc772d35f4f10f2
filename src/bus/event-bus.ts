import type { EventId } from './event-id.js';

/** One stored event of a topic. `data` is the JSON payload, serialized once when appended. */
export interface BusEvent {
  readonly topic: string;
  readonly offset: number;
  readonly epoch: string;
  /** `offset@epoch`, precomputed because every frame carries it. */
  readonly id: string;
  readonly data: string;
}

/**
 * What `readAfter` found: the events after the given id (possibly none), or `unavailable` when
 * the id cannot be resumed from — older than the retained history, of another epoch, or ahead
 * of the topic's head. An unavailable history must be answered with a snapshot, never a gap.
 */
export type History =
  | { readonly kind: 'events'; readonly events: readonly BusEvent[] }
  | { readonly kind: 'unavailable' };

export type BusListener = (event: BusEvent) => void;

/**
 * How events of a topic travel and are kept.
 *
 * Contract, for every implementation:
 * - Storing an event and making it available to `readAfter` and to live listeners is one step:
 *   once `append` resolves, `readAfter` on any instance returns the event.
 * - Live listeners get each event of a topic at most once per subscription, in offset order and
 *   without gaps within an epoch; an implementation that can lose live messages (Redis pub/sub)
 *   fills the gap from the stored history before delivering newer events.
 * - A listener may see the epoch change; offsets then restart and the listener must resync.
 */
export interface EventBus {
  append(topic: string, data: string): Promise<BusEvent>;
  /** Registers a live listener; returns the function that removes it. */
  subscribe(topic: string, listener: BusListener): () => void;
  readAfter(topic: string, after: EventId): Promise<History>;
  /** The id of the topic's newest event (offset 0 when it has none yet). */
  head(topic: string): Promise<EventId>;
  close(): Promise<void>;
}
