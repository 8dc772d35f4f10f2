import type { BusEvent } from '../bus/event-bus.js';
import type { EventId } from '../protocol/event-id.js';

/** A topic's full state together with the id of the last event reflected in it. */
export interface Snapshot {
  readonly id: EventId;
  /** JSON payload: text, or its UTF-8 bytes (a big map's, framed without a copy as text). */
  readonly data: string | Uint8Array;
}

/**
 * Which encoding of a snapshot a subscriber asked for (`full` unless it asked otherwise): the
 * hub passes it on to the source, which says what each means, and encodes each form's frame once.
 */
export type SnapshotForm = 'full' | 'compact';

/**
 * Reads a topic's snapshot, in `form`; the hub calls it when a subscriber cannot resume from history.
 * Undefined: the topic has no snapshot (a private stream's notices), so the subscriber goes on
 * with the next live event.
 */
export type SnapshotSource = (topic: string, form: SnapshotForm) => Promise<Snapshot | undefined>;

/**
 * Turns events into the bytes of a wire format. The hub calls `event` once per published event
 * and writes the result to every subscriber, so the transport is chosen above the hub (the SSE
 * adapter supplies the codec) while the cost of encoding is paid once per publish.
 */
export interface FrameCodec {
  event(event: BusEvent): string;
  snapshot(topic: string, snapshot: Snapshot): string | Uint8Array;
  heartbeat(now: Date): string;
  /** Marks the position of a multi-topic subscription (protocol/cursor.ts); written after each chunk. */
  cursor(token: string): string;
}
