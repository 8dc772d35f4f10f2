import { Observable, Subject, Subscription, map, share, timer } from 'rxjs';
import type { EventBus } from '../bus/event-bus.js';
import { formatEventId } from '../bus/event-id.js';
import { formatCursor } from './cursor.js';
import type { FrameCodec, SnapshotSource } from './frame-codec.js';
import { Topic, type Chunk } from './topic.js';
import { topicStream, type StartAt, type TopicStreamDeps } from './topic-stream.js';

export interface TopicHubOptions {
  bus: EventBus;
  codec: FrameCodec;
  snapshot: SnapshotSource;
  heartbeatMs: number;
}

export interface TopicPosition {
  readonly topic: string;
  /** Names the topic in a multi-topic cursor (e.g. the schedule id). */
  readonly label: string;
  /** Resume after this id, start with a snapshot, or with the next live event. */
  readonly after: StartAt;
}

export interface StreamRequest {
  readonly topics: readonly TopicPosition[];
  /** The stream completes after this long, so load spreads again across instances. */
  readonly lifetimeMs: number;
}

/**
 * One sink per topic, created for its first subscriber and removed after its last leaves
 * (the `ConcurrentHashMap<Long, Sinks.Many>` of the Reactor design). A subscription is
 * `resume ++ live` per topic, merged with one shared heartbeat and ended by its lifetime.
 */
export class TopicHub {
  private readonly topics = new Map<string, Topic>();
  private readonly closing = new Subject<void>();
  private readonly heartbeat: Observable<Buffer>;
  private readonly deps: TopicStreamDeps;

  constructor(private readonly options: TopicHubOptions) {
    const { codec, heartbeatMs } = options;
    // One timer for the whole process while anyone listens, not one per connection.
    this.heartbeat = timer(heartbeatMs, heartbeatMs).pipe(
      map(() => Buffer.from(codec.heartbeat(new Date()))),
      share(),
    );
    this.deps = {
      bus: options.bus,
      codec,
      snapshot: options.snapshot,
      acquire: (name) => {
        let topic = this.topics.get(name);
        if (!topic) {
          topic = new Topic(name, options.bus, codec);
          this.topics.set(name, topic);
        }
        return topic;
      },
      release: (topic) => {
        if (topic.sink.currentSubscriberCount() === 0 && this.topics.get(topic.name) === topic) {
          this.topics.delete(topic.name);
          topic.dispose();
        }
      },
    };
  }

  /**
   * The bytes to write to one connection, in order: `resume ++ live` of each topic, merged with
   * the shared heartbeat, completed at the end of its lifetime or at shutdown. The merge and the
   * takeUntil are written out by hand rather than composed from operators: a connection is
   * mostly idle, and each operator layer would cost every one of thousands of connections
   * several objects (DESIGN §6).
   */
  stream(request: StreamRequest): Observable<Buffer> {
    const { topics } = request;
    const project = topics.length === 1 ? (chunk: Chunk) => chunk.bytes : this.withCursor(topics);
    return new Observable<Buffer>((subscriber) => {
      const subscription = new Subscription();
      const end = () => subscriber.complete();
      for (const topic of topics) {
        subscription.add(
          topicStream(this.deps, topic.topic, topic.after).subscribe({
            next: (chunk) => subscriber.next(project(chunk)),
            error: (error: unknown) => subscriber.error(error),
          }),
        );
      }
      subscription.add(this.heartbeat.subscribe((bytes) => subscriber.next(bytes)));
      subscription.add(this.closing.subscribe(end));
      const lifetime = setTimeout(end, request.lifetimeMs);
      subscription.add(() => clearTimeout(lifetime));
      return subscription;
    });
  }

  /** For a multi-topic stream: each chunk followed by the cursor of where every topic stands. */
  private withCursor(topics: readonly TopicPosition[]): (chunk: Chunk) => Buffer {
    const labels = new Map(topics.map((t) => [t.topic, t.label]));
    const positions = new Map<string, string>();
    for (const t of topics) if (typeof t.after === 'object') positions.set(t.label, formatEventId(t.after.offset, t.after.epoch));
    const codec = this.options.codec;
    return (chunk) => {
      positions.set(labels.get(chunk.topic)!, formatEventId(chunk.last, chunk.epoch));
      return Buffer.concat([chunk.bytes, Buffer.from(codec.cursor(formatCursor(positions)))]);
    };
  }

  /** Completes every open stream (shutdown); the adapter tells clients when to come back. */
  closeStreams(): void {
    this.closing.next();
  }

  get topicCount(): number {
    return this.topics.size;
  }

  subscriberCount(topic: string): number {
    return this.topics.get(topic)?.sink.currentSubscriberCount() ?? 0;
  }
}
