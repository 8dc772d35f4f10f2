import type { Subscriber, Subscription } from 'rxjs';
import { Observable } from 'rxjs/internal/Observable';
import type { EventBus } from '../bus/event-bus.js';
import { formatCursor } from '../protocol/cursor.js';
import type { EventId } from '../protocol/event-id.js';
import type { FrameCodec, SnapshotForm, SnapshotSource } from './frame-codec.js';
import { isSnapshotFrame, SnapshotFrames } from './snapshot-frames.js';
import { Topic } from './topic.js';
import { type Emit, followTopic, type TopicFollow, type TopicStreamDeps } from './topic-stream.js';

export interface TopicHubOptions {
  bus: EventBus;
  codec: FrameCodec;
  snapshot: SnapshotSource;
  heartbeatMs: number;
}

/** A topic a connection follows (where from, what it is told if the topic is deleted) and its cursor label. */
export interface TopicPosition extends TopicFollow {
  /** Names the topic in a multi-topic cursor (e.g. the schedule id). */
  readonly label: string;
}

export interface StreamRequest {
  readonly topics: readonly TopicPosition[];
  /** The stream completes after this long, so load spreads again across instances. */
  readonly lifetimeMs: number;
  /**
   * Write a cursor after each chunk. Default: only when following several topics; the
   * multi-schedule route asks for it with one too, so its clients resume the same way.
   */
  readonly cursor?: boolean;
  /** The form of every snapshot this connection gets, whichever topic needs one. Default `full`. */
  readonly snapshotForm?: SnapshotForm;
}

const HEARTBEAT_SLOTS = 300;

/**
 * One sink per topic, created for its first subscriber and removed after its last leaves
 * (the `ConcurrentHashMap<Long, Sinks.Many>` of the Reactor design). A subscription is
 * `resume ++ live` per topic, merged with one shared heartbeat and ended by its lifetime.
 */
export class TopicHub {
  private readonly topics = new Map<string, Topic>();
  /**
   * Every open connection's subscriber, spread over heartbeat slots: one timer visits one slot
   * per tick, so each connection still gets a heartbeat every `heartbeatMs`, but 10,000 of them
   * are not all written in the same instant (a burst that stalled event delivery by tens of ms).
   */
  private readonly slots: Set<Subscriber<Buffer>>[];
  private open = 0;
  private nextSlot = 0;
  private tick = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  /** Connections by the second their lifetime ends. */
  private readonly expiries = new Map<number, Set<Subscriber<Buffer>>>();
  private reaper: NodeJS.Timeout | undefined;
  private readonly deps: TopicStreamDeps;

  constructor(private readonly options: TopicHubOptions) {
    const { codec } = options;
    // A tick every 100 ms: with 10,000 connections, about 33 heartbeats per tick.
    const slotCount = Math.min(HEARTBEAT_SLOTS, Math.max(1, Math.round(options.heartbeatMs / 100)));
    this.slots = Array.from({ length: slotCount }, () => new Set<Subscriber<Buffer>>());
    this.deps = {
      bus: options.bus,
      snapshot: options.snapshot,
      frames: new SnapshotFrames(codec),
      acquire: (name) => {
        let topic = this.topics.get(name);
        // A deleted topic's Topic ends with its subscribers; a newcomer gets one of its own.
        if (!topic || topic.deleted) {
          topic = new Topic(name, options.bus, codec);
          this.topics.set(name, topic);
        }
        return topic;
      },
      release: (topic) => {
        if (topic.sink.currentSubscriberCount() > 0) return;
        if (this.topics.get(topic.name) === topic) this.topics.delete(topic.name);
        topic.dispose();
      },
    };
  }

  /**
   * The bytes to write to one connection, in order: `resume ++ live` of each topic, merged with
   * the shared heartbeat, completed at the end of its lifetime or at shutdown. The merge and the
   * takeUntil are written out by hand rather than composed from operators: a connection is
   * mostly idle, and each operator layer would cost every one of thousands of connections
   * several objects.
   */
  stream(request: StreamRequest): Observable<Buffer> {
    const { topics, lifetimeMs } = request;
    const form = request.snapshotForm ?? 'full';
    const emit = (request.cursor ?? topics.length > 1) ? this.withCursor(topics) : bytesOnly;
    return new Observable<Buffer>((subscriber) => this.connect(subscriber, topics, form, emit, lifetimeMs));
  }

  /**
   * Follows `topics` for `subscriber` and enrolls it for heartbeats and its lifetime; returns its
   * teardown. A method of its own so that the teardown, kept as long as the connection is open,
   * holds only what it needs (not the request).
   */
  private connect(
    subscriber: Subscriber<Buffer>,
    topics: readonly TopicPosition[],
    form: SnapshotForm,
    emit: Emit,
    lifetimeMs: number,
  ): () => void {
    // The topic streams feed this subscriber directly; their teardown joins its own.
    // Sized once: a first push would make room for 16.
    const followed = new Array<Subscription>(topics.length);
    for (let i = 0; i < topics.length; i++) followed[i] = followTopic(this.deps, topics[i]!, form, emit, subscriber);
    const slot = this.slots[this.nextSlot++ % this.slots.length]!;
    slot.add(subscriber);
    this.open++;
    this.heartbeat ??= setInterval(this.beat, this.options.heartbeatMs / this.slots.length);
    const deadline = this.expireAt(subscriber, lifetimeMs);
    return () => {
      for (const stream of followed) stream.unsubscribe();
      this.expiries.get(deadline)?.delete(subscriber);
      slot.delete(subscriber);
      if (--this.open === 0) {
        clearInterval(this.heartbeat);
        clearInterval(this.reaper);
        this.heartbeat = this.reaper = undefined;
      }
    };
  }

  /**
   * Lifetimes end on whole seconds, in buckets swept once a second: one timer for all
   * connections instead of a Timeout (and its closure) per connection.
   */
  private expireAt(subscriber: Subscriber<Buffer>, lifetimeMs: number): number {
    const deadline = Math.ceil((Date.now() + lifetimeMs) / 1000);
    let bucket = this.expiries.get(deadline);
    if (!bucket) this.expiries.set(deadline, (bucket = new Set()));
    bucket.add(subscriber);
    this.reaper ??= setInterval(this.reap, 1000);
    return deadline;
  }

  private readonly reap = (): void => {
    const now = Date.now() / 1000;
    for (const [deadline, bucket] of this.expiries) {
      if (deadline > now) continue;
      this.expiries.delete(deadline);
      for (const subscriber of bucket) subscriber.complete();
    }
  };

  /** One heartbeat timer for the whole process; each tick serves one slot, encoded once. */
  private readonly beat = (): void => {
    const slot = this.slots[this.tick++ % this.slots.length]!;
    if (slot.size === 0) return;
    const bytes = Buffer.from(this.options.codec.heartbeat(new Date()));
    for (const subscriber of slot) subscriber.next(bytes);
  };

  /**
   * For a multi-topic stream: each chunk followed by the cursor of where every topic stands, in
   * one write; a snapshot frame, shared by every subscriber, is written as it is, then the cursor.
   */
  private withCursor(topics: readonly TopicPosition[]): Emit {
    const labels = new Map(topics.map((t) => [t.topic, t.label]));
    const positions = new Map<string, EventId>();
    for (const t of topics) if (typeof t.after === 'object') positions.set(t.label, t.after);
    const codec = this.options.codec;
    return (chunk, to) => {
      positions.set(labels.get(chunk.topic)!, { offset: chunk.last, epoch: chunk.epoch });
      const cursor = Buffer.from(codec.cursor(formatCursor(positions)));
      if (!isSnapshotFrame(chunk.bytes)) return to.next(Buffer.concat([chunk.bytes, cursor]));
      to.next(chunk.bytes);
      to.next(cursor);
    };
  }

  /** Completes every open stream (shutdown); the adapter tells clients when to come back. */
  closeStreams(): void {
    for (const slot of this.slots) for (const subscriber of [...slot]) subscriber.complete();
  }

  get topicCount(): number {
    return this.topics.size;
  }

  /**
   * Settles once the bus delivers the topic's new events to this instance; undefined while the
   * topic has no subscriber here. Tests wait for it rather than sleeping.
   */
  ready(topic: string): Promise<void> | undefined {
    return this.topics.get(topic)?.ready;
  }

  subscriberCount(topic: string): number {
    return this.topics.get(topic)?.sink.currentSubscriberCount() ?? 0;
  }
}

/** A single-topic stream writes each chunk's bytes as they are. */
const bytesOnly: Emit = (chunk, to) => to.next(chunk.bytes);
