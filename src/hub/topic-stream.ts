import type { Subscriber, Subscription } from 'rxjs';
import type { BusEvent, EventBus } from '../bus/event-bus.js';
import { StorageUnavailableError } from '../bus/unavailable-error.js';
import type { EventId } from '../protocol/event-id.js';
import { nextStep } from '../protocol/resume.js';
import type { SnapshotForm, SnapshotSource } from './frame-codec.js';
import { LeanSubscriber } from './lean-subscriber.js';
import type { SnapshotFrames } from './snapshot-frames.js';
import { type Chunk, cutChunk, type Topic } from './topic.js';

export interface TopicStreamDeps {
  readonly bus: EventBus;
  readonly snapshot: SnapshotSource;
  /** Snapshot frames, encoded once per snapshot. */
  readonly frames: SnapshotFrames;
  /** Returns the live topic, creating it for the first subscriber. */
  acquire(topic: string): Topic;
  /** Called after a subscriber left; removes the topic when it was the last. */
  release(topic: Topic): void;
}

const RETRY_MS = 500;

/** Where a subscription starts: after an id, with a snapshot, or with whatever comes next. */
export type StartAt = EventId | 'snapshot' | 'live';

/** Passes a chunk on to the connection (its bytes, and on a multi-topic stream its cursor). */
export type Emit = (chunk: Chunk, to: Subscriber<Buffer>) => void;

/**
 * Follows one topic for `subscriber`: `resume ++ live`, every event after `position.after`, in
 * order, then live events, with no gap and no duplicate. It registers for live events first and
 * buffers them, reads the history (or a snapshot when `after` cannot be resumed from), then
 * flushes the buffer, dropping what was already sent. A live chunk that does not follow what was
 * sent — a new epoch, or a gap — sends the subscriber through the same resync instead of
 * skipping. A deleted topic ends `subscriber` (after `position.deleted`, if any). Unsubscribing
 * the returned subscription leaves the topic (removed with its last subscriber).
 */
export function followTopic(
  deps: TopicStreamDeps,
  position: TopicFollow,
  /** The form of any snapshot it sends, at the start or after a resync. */
  form: SnapshotForm,
  emit: Emit,
  subscriber: Subscriber<Buffer>,
): Subscription {
  const topic = deps.acquire(position.topic);
  topic.deletedFrame ??= position.deleted;
  const stream = new ResumingStream(deps, topic, form, subscriber, emit);
  topic.sink.asObservable().subscribe(stream);
  stream.sync(position.after);
  return stream;
}

/** What to follow: a topic, from where, and what a connection is told if it is deleted. */
export interface TopicFollow {
  readonly topic: string;
  /** Resume after this id, start with a snapshot, or with the next live event. */
  readonly after: StartAt;
  /**
   * Written last when the topic is deleted (the route's `event: deleted` frame). The whole
   * connection then ends, whichever topics it follows: its client reconnects without this one.
   * The same for every follower of a topic: the topic keeps the first one given.
   */
  readonly deleted?: string;
}

/**
 * The live subscriber of one connection to one topic (a class: thousands are open at once; lean:
 * its one finalizer, the sink's registration, needs no array).
 */
class ResumingStream extends LeanSubscriber<Chunk> {
  /** Where this subscriber stands (a `Position` for the resume rule). */
  epoch = '';
  /** Offset of the last event sent to this subscriber. */
  last = -1;
  /** Live chunks held back while history or a snapshot is being read; null once live. */
  private held: Chunk[] | null = [];

  constructor(
    private readonly deps: TopicStreamDeps,
    private readonly topic: Topic,
    private readonly form: SnapshotForm,
    private readonly subscriber: Subscriber<Buffer>,
    private readonly emit: Emit,
  ) {
    super();
  }

  /** Leaves the sink, then the topic: removed when this was its last subscriber. */
  override unsubscribe(): void {
    if (this.closed) return;
    super.unsubscribe();
    this.deps.release(this.topic);
  }

  /** The topic's name (what the bus and the snapshot source know it by). */
  private get name(): string {
    return this.topic.name;
  }

  protected override _next(chunk: Chunk): void {
    // A deletion ends the stream at once, even while history or a snapshot is being read: the
    // read would only find the topic gone.
    if (chunk.deleted) this.onDeleted();
    else this.onLive(chunk);
  }

  private onDeleted(): void {
    const { subscriber } = this;
    const frame = this.topic.deletedFrame;
    if (frame !== undefined) subscriber.next(Buffer.from(frame));
    subscriber.complete();
  }

  private onLive(chunk: Chunk): void {
    if (this.held) this.held.push(chunk);
    else this.deliver(chunk);
  }

  sync(after: StartAt): void {
    this.read(after).then(
      () => {
        if (this.closed) return;
        const held = this.held ?? [];
        this.held = null;
        // A chunk may start another resync, which holds the rest again.
        for (const chunk of held) this.onLive(chunk);
      },
      (error: unknown) => {
        if (this.closed) return;
        // The store is unreachable for now: keep the connection (heartbeats go on) and try
        // again; live chunks stay held meanwhile. Anything else ends the stream.
        if (error instanceof StorageUnavailableError)
          setTimeout(() => !this.closed && this.sync(after), RETRY_MS).unref();
        else this.subscriber.error(error);
      },
    );
  }

  private async read(after: StartAt): Promise<void> {
    if (after === 'live') return this.goLive();
    if (after !== 'snapshot') {
      const history = await this.deps.bus.readAfter(this.name, after);
      if (this.closed) return;
      if (history.kind === 'events') {
        this.epoch = after.epoch;
        this.last = after.offset;
        this.sendAll(history.events);
        return;
      }
    }
    const snapshot = await this.deps.snapshot(this.name, this.form);
    if (this.closed) return;
    if (!snapshot) return this.goLive(after === 'snapshot' ? undefined : after);
    const { offset, epoch } = snapshot.id;
    this.epoch = epoch;
    this.last = offset;
    const bytes = this.deps.frames.of(this.name, snapshot);
    this.emit({ topic: this.name, epoch, first: offset, last: offset, bytes, appendedAt: 0 }, this.subscriber);
    // A snapshot may be a moment behind the head (SNAPSHOT_MAX_STALENESS_MS): what came after it,
    // before this subscriber's live chunks began, follows from history. (Were it gone, the next
    // live chunk would find the gap and start over.)
    const missed = await this.deps.bus.readAfter(this.name, snapshot.id);
    if (!this.closed && missed.kind === 'events') this.sendAll(missed.events);
  }

  /** Goes on from the topic's newest event: what comes after it is delivered. */
  private async goLive(from?: EventId): Promise<void> {
    const head = await this.deps.bus.head(this.name);
    if (this.closed) return;
    this.epoch = head.epoch;
    this.last = head.offset;
    // Nothing was seen yet (a topic never written had a provisional epoch): all of the new one is new.
    if (from?.offset !== 0) return;
    const history = await this.deps.bus.readAfter(this.name, { offset: 0, epoch: head.epoch });
    if (this.closed || history.kind !== 'events') return;
    this.last = 0;
    this.sendAll(history.events);
  }

  private deliver(chunk: Chunk): void {
    const step = nextStep(this, chunk);
    switch (step.action) {
      case 'deliver':
        this.send(chunk);
        return;
      case 'cut':
        this.send(cutChunk(chunk, step.skip));
        return;
      case 'resync':
        this.held = [chunk];
        this.sync({ offset: this.last, epoch: this.epoch });
        return;
      case 'drop':
        return;
    }
  }

  /** Events read from history, as one chunk (encoded once for every subscriber catching up on them). */
  private sendAll(events: readonly BusEvent[]): void {
    if (events.length > 0) this.send(this.topic.catchUp(events));
  }

  private send(chunk: Chunk): void {
    this.last = chunk.last;
    this.emit(chunk, this.subscriber);
  }
}
