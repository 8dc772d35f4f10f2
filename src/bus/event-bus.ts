import type { EventId } from '../protocol/event-id.js';

/** One stored event of a topic. `data` is the JSON payload, serialized once when appended. */
export interface BusEvent {
  readonly topic: string;
  readonly offset: number;
  readonly epoch: string;
  /** `offset@epoch`, precomputed because every frame carries it. */
  readonly id: string;
  readonly data: string;
  /**
   * When the bus stored it, in ms since the Unix epoch on the store's clock (Redis's with Redis);
   * 0 or absent when unknown. Delivery delays are measured from it.
   */
  readonly appendedAt?: number;
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

/** A live listener's registration. */
export interface BusSubscription {
  /**
   * Settles once every event appended from now on, on any instance, reaches the listener (with
   * Redis: the channel is subscribed and its head is known). Tests wait for it instead of sleeping.
   */
  readonly ready: Promise<void>;
  unsubscribe(): void;
}

/**
 * What a bus reports of its own work, for metrics: the layer above sets it (a bus knows no
 * Prometheus). Called on the delivery path, so each call must stay cheap.
 */
export interface BusObserver {
  /** This instance appended `count` events. */
  onAppended(count: number): void;
  /** A live message arrived `lagMs` after its append (receipt here minus the store's append time). */
  onReceived(lagMs: number): void;
  /** `count` events were read back from the stored history because live delivery had lost them. */
  onRecovered(count: number): void;
}

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
 * - Concurrent reads of one position (topic, offset and epoch: a reconnect storm) may be served by
 *   one read of the store and get the same `History` object, which callers therefore never
 *   modify; but never by a read sent before the call, which could miss an append already resolved.
 */
export interface EventBus {
  append(topic: string, data: string): Promise<BusEvent>;
  subscribe(topic: string, listener: BusListener): BusSubscription;
  readAfter(topic: string, after: EventId): Promise<History>;
  /** The id of the topic's newest event (offset 0 when it has none yet). */
  head(topic: string): Promise<EventId>;
  /**
   * Ends every live subscription of the topic, on every instance: listeners get the deletion
   * event (offset 0, data DELETED_EVENT), as when a schedule is deleted, but the topic's history
   * and offsets are kept, so a client that comes back resumes where it stood. Best effort like
   * any live message: an instance whose subscriber connection is down at that moment misses it.
   */
  endStreams(topic: string): Promise<void>;
  close(): Promise<void>;
  /** Told of appends, receipts and recoveries when set (one observer per bus). */
  observer?: BusObserver;
}

/** A fresh epoch: random, short, and safe inside ids, headers and Redis keys. */
export function newEpoch(): string {
  return Math.floor(Math.random() * 36 ** 8)
    .toString(36)
    .padStart(8, '0');
}
