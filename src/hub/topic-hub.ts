import { Observable, Subject, map, merge, share, takeUntil, timer } from 'rxjs';
import type { EventBus } from '../bus/event-bus.js';
import { formatEventId } from '../bus/event-id.js';
import { formatCursor } from './cursor.js';
import type { FrameCodec, SnapshotSource } from './frame-codec.js';
import { Topic } from './topic.js';
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

  /** The bytes to write to one connection, in order. Completes at the end of its lifetime. */
  stream(request: StreamRequest): Observable<Buffer> {
    const { topics } = request;
    let body: Observable<Buffer>;
    if (topics.length === 1) {
      body = topicStream(this.deps, topics[0]!.topic, topics[0]!.after).pipe(map((chunk) => chunk.bytes));
    } else {
      const labels = new Map(topics.map((t) => [t.topic, t.label]));
      const positions = new Map<string, string>();
      for (const t of topics) if (typeof t.after === 'object') positions.set(t.label, formatEventId(t.after.offset, t.after.epoch));
      const codec = this.options.codec;
      body = merge(...topics.map((t) => topicStream(this.deps, t.topic, t.after))).pipe(
        map((chunk) => {
          positions.set(labels.get(chunk.topic)!, formatEventId(chunk.last, chunk.epoch));
          return Buffer.concat([chunk.bytes, Buffer.from(codec.cursor(formatCursor(positions)))]);
        }),
      );
    }
    return merge(body, this.heartbeat).pipe(takeUntil(merge(timer(request.lifetimeMs), this.closing)));
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
