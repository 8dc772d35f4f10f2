import { performance } from 'node:perf_hooks';
import type { BusEvent, BusSubscription, EventBus } from '../bus/event-bus.js';
import { DELETED_EVENT } from '../protocol/sse-frames.js';
import { Sinks, type ManySink } from '../sinks/index.js';
import type { FrameCodec } from './frame-codec.js';
import { HandOverPacer, MAX_MERGE_EVENTS } from './hand-over-pacer.js';

/**
 * Contiguous events of one topic and epoch, encoded once and shared by every subscriber:
 * `bytes` is what a subscriber that is up to date writes; `frames` lets one that already has
 * some of them (at the resume boundary) write only the rest.
 */
export interface Chunk {
  readonly topic: string;
  readonly epoch: string;
  /** Offset of the first event in the chunk. */
  readonly first: number;
  /** Offset of the last event in the chunk (a snapshot: the offset it reflects). */
  readonly last: number;
  readonly bytes: Buffer;
  readonly frames?: readonly string[];
  /** When its first event was appended (BusEvent.appendedAt); 0 when unknown or not events. */
  readonly appendedAt: number;
  /** The topic was deleted: no bytes; each subscriber ends its connection (TopicPosition.deleted). */
  readonly deleted?: boolean;
}

/** A bus event that says the topic was deleted (EventBus implementations send it with offset 0). */
export function isDeletion(event: BusEvent): boolean {
  return event.offset === 0 && event.data === DELETED_EVENT;
}

const NO_BYTES = Buffer.alloc(0);

/** Catch-ups a topic keeps encoded until its next live chunk, and the largest it keeps. */
const KEPT_CATCH_UPS = 8;
const KEPT_CATCH_UP_BYTES = 64 * 1024;

/** The `appendedAt` of the live chunk being handed to subscribers right now; 0 at any other time. */
let emitting = 0;

/**
 * The append time of the live chunk a subscriber is being handed at this moment, 0 outside such a
 * hand-over (history, snapshots, heartbeats). Delivery runs synchronously from the sink down to
 * each socket write, so the writer asks here as it writes: the time reaches it with nothing added
 * to the path and nothing allocated per connection.
 */
export function liveChunkAppendedAt(): number {
  return emitting;
}

/**
 * One live stream per topic: the bus delivers events, and everything that arrives within one
 * turn of the event loop goes to subscribers as one chunk — one write per connection per tick,
 * however many seats changed: under a burst that is what keeps delivery ahead of the events.
 * A topic whose hand-overs are costly is also paced on a busy loop: events merged over a few ms.
 */
export class Topic {
  /** Best effort: each connection bounds its own backlog, so one slow reader never paces others. */
  readonly sink: ManySink<Chunk> = Sinks.many().multicast().directBestEffort<Chunk>();
  private pending: BusEvent[] = [];
  private scheduled = false;
  private readonly subscription: BusSubscription;
  /** The deletion arrived; what follows it belongs to no subscriber of this topic. */
  private deleting = false;
  /** The deletion was passed on: the hub gives new subscribers a new Topic. */
  deleted = false;
  /**
   * What a follower is told when the topic is deleted (TopicFollow.deleted): the same for every
   * follower, so kept here once rather than by each connection.
   */
  deletedFrame: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  /**
   * History read by resuming subscribers, encoded once per range (epoch, first and last offset:
   * the same events, the same bytes). In a reconnect storm thousands of clients resume from the
   * same id within moments, so they share one chunk rather than each encoding its own. Kept until
   * the next live chunk (after it, a resume reads up to a newer head), and small ones only.
   */
  private readonly catchUps = new Map<string, Chunk>();

  constructor(
    readonly name: string,
    bus: EventBus,
    private readonly codec: FrameCodec,
    private readonly pacer = new HandOverPacer(),
  ) {
    this.subscription = bus.subscribe(name, (event) => {
      if (this.deleting) return;
      if (isDeletion(event)) this.deleting = true;
      else this.pending.push(event);
      if (!this.scheduled) {
        this.scheduled = true;
        this.schedule();
      } else if (this.timer && this.pending.length >= MAX_MERGE_EVENTS) {
        // Enough for one chunk: a chunk past a reader's buffer bound would cut even one that keeps up.
        clearTimeout(this.timer);
        this.timer = undefined;
        setImmediate(this.flush);
      }
    });
  }

  /** The next hand-over: at the end of this turn, or after the pause a costly last one asks for. */
  private schedule(): void {
    const wait = this.pacer.pause();
    if (wait > 0) this.timer = setTimeout(this.flush, wait);
    else setImmediate(this.flush);
  }

  /** Settles once the bus delivers this topic's new events here (tests wait for it). */
  get ready(): Promise<void> {
    return this.subscription.ready;
  }

  dispose(): void {
    this.subscription.unsubscribe();
    this.pending = [];
    clearTimeout(this.timer);
  }

  /** `events`, read from history (one epoch, in order, not empty), as one chunk. */
  catchUp(events: readonly BusEvent[]): Chunk {
    const key = `${events[0]!.epoch} ${events[0]!.offset} ${events[events.length - 1]!.offset}`;
    let chunk = this.catchUps.get(key);
    if (chunk) return chunk;
    chunk = encodeChunk(this.name, events, this.codec);
    if (chunk.bytes.length > KEPT_CATCH_UP_BYTES) return chunk;
    if (this.catchUps.size >= KEPT_CATCH_UPS) this.catchUps.delete(this.catchUps.keys().next().value!);
    this.catchUps.set(key, chunk);
    return chunk;
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    this.timer = undefined;
    this.catchUps.clear();
    const events = this.pending;
    this.pending = [];
    if (this.deleted) return;
    // A chunk never spans epochs: split where the epoch changes (offsets restart there).
    let start = 0;
    let handOverMs = 0;
    for (let i = 1; i <= events.length; i++) {
      if (i === events.length || events[i]!.epoch !== events[start]!.epoch) {
        const chunk = encodeChunk(this.name, events.slice(start, i), this.codec);
        emitting = chunk.appendedAt;
        const startedAt = performance.now();
        try {
          this.sink.tryEmitNext(chunk);
        } finally {
          emitting = 0;
          handOverMs += performance.now() - startedAt;
        }
        start = i;
      }
    }
    this.pacer.handedOver(handOverMs);
    if (!this.deleting) return;
    this.deleted = true;
    this.sink.tryEmitNext({
      topic: this.name,
      epoch: '',
      first: 0,
      last: 0,
      bytes: NO_BYTES,
      deleted: true,
      appendedAt: 0,
    });
  };
}

export function encodeChunk(topic: string, events: readonly BusEvent[], codec: FrameCodec): Chunk {
  const frames = events.map((event) => codec.event(event));
  return {
    topic,
    epoch: events[0]!.epoch,
    first: events[0]!.offset,
    last: events[events.length - 1]!.offset,
    bytes: Buffer.from(frames.join('')),
    frames,
    appendedAt: events[0]!.appendedAt ?? 0,
  };
}

/** The chunk without its first `skip` events, for a subscriber that has them already. */
export function cutChunk(chunk: Chunk, skip: number): Chunk {
  const frames = chunk.frames!.slice(skip);
  return { ...chunk, first: chunk.first + skip, bytes: Buffer.from(frames.join('')), frames };
}
