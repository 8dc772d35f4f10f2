import {
  type BusEvent,
  type BusListener,
  type BusObserver,
  type BusSubscription,
  type EventBus,
  type History,
  newEpoch,
} from '../../bus/event-bus.js';
import { type EventId, formatEventId } from '../../protocol/event-id.js';
import { DELETED_EVENT } from '../../protocol/sse-frames.js';

/** The last `capacity` events of a topic, addressed by offset. */
class TopicLog {
  offset = 0;
  readonly listeners = new Set<BusListener>();
  private readonly ring: (BusEvent | undefined)[];

  /** `epoch`: the bus's, or a fresh one for a topic written again after it was dropped. */
  constructor(
    private readonly capacity: number,
    readonly epoch: string,
  ) {
    this.ring = new Array<BusEvent | undefined>(capacity);
  }

  push(event: BusEvent): void {
    this.offset = event.offset;
    this.ring[event.offset % this.capacity] = event;
  }

  /** Events after `offset`, or null when some of them are no longer retained. */
  after(offset: number): BusEvent[] | null {
    const oldest = Math.max(1, this.offset - this.capacity + 1);
    if (offset < oldest - 1 || offset > this.offset) return null;
    const events: BusEvent[] = [];
    for (let o = offset + 1; o <= this.offset; o++) events.push(this.ring[o % this.capacity]!);
    return events;
  }
}

/**
 * The embedded default: events live in this process only. Its epoch is minted per process, so
 * ids from before a restart (whose history is gone) are answered with a snapshot.
 */
export class LocalBus implements EventBus {
  readonly epoch: string;
  observer: BusObserver | undefined;
  private readonly topics = new Map<string, TopicLog>();
  /** Topics dropped: written again, each starts an epoch of its own, as a topic new to Redis does. */
  private readonly dropped = new Set<string>();

  constructor(
    private readonly replayLimit = 1000,
    epoch = newEpoch(),
  ) {
    this.epoch = epoch;
  }

  /**
   * Appends and delivers synchronously. The memory seat store relies on this: a state change
   * and its event happen in the same synchronous step, so nothing can observe one without the
   * other.
   */
  appendNow(topic: string, data: string): BusEvent {
    const log = this.log(topic);
    const offset = log.offset + 1;
    const event: BusEvent = {
      topic,
      offset,
      epoch: log.epoch,
      id: formatEventId({ offset, epoch: log.epoch }),
      data,
      appendedAt: Date.now(),
    };
    log.push(event);
    this.observer?.onAppended(1);
    for (const listener of log.listeners) listener(event);
    return event;
  }

  async append(topic: string, data: string): Promise<BusEvent> {
    return this.appendNow(topic, data);
  }

  /** Ready at once: delivery is in-process and synchronous. */
  subscribe(topic: string, listener: BusListener): BusSubscription {
    const log = this.log(topic);
    log.listeners.add(listener);
    return { ready: READY, unsubscribe: () => log.listeners.delete(listener) };
  }

  async readAfter(topic: string, after: EventId): Promise<History> {
    const log = this.topics.get(topic);
    if (after.epoch !== (log?.epoch ?? this.epoch)) return { kind: 'unavailable' };
    const events = (log ?? EMPTY).after(after.offset);
    return events ? { kind: 'events', events } : { kind: 'unavailable' };
  }

  /**
   * Forgets a topic's history and tells its live listeners, synchronously, that it is gone: an
   * event with data DELETED_EVENT and offset 0, never stored. Written again, the topic starts a
   * new epoch, so no id of the old topic ever resumes on the new one.
   */
  dropNow(topic: string): void {
    this.dropped.add(topic);
    const log = this.topics.get(topic);
    if (!log) return;
    this.topics.delete(topic);
    const event: BusEvent = { topic, offset: 0, epoch: log.epoch, id: '', data: DELETED_EVENT, appendedAt: 0 };
    for (const listener of log.listeners) listener(event);
  }

  /** Tells the topic's live listeners it ended (EventBus.endStreams), keeping its history. */
  async endStreams(topic: string): Promise<void> {
    const log = this.topics.get(topic);
    if (!log) return;
    const event: BusEvent = { topic, offset: 0, epoch: log.epoch, id: '', data: DELETED_EVENT, appendedAt: 0 };
    for (const listener of [...log.listeners]) listener(event);
  }

  headNow(topic: string): EventId {
    const log = this.topics.get(topic);
    return log ? { offset: log.offset, epoch: log.epoch } : { offset: 0, epoch: this.epoch };
  }

  async head(topic: string): Promise<EventId> {
    return this.headNow(topic);
  }

  async close(): Promise<void> {
    for (const log of this.topics.values()) log.listeners.clear();
  }

  private log(topic: string): TopicLog {
    let log = this.topics.get(topic);
    if (!log) {
      log = new TopicLog(this.replayLimit, this.dropped.has(topic) ? newEpoch() : this.epoch);
      this.topics.set(topic, log);
    }
    return log;
  }
}

const EMPTY = new TopicLog(1, '');
const READY = Promise.resolve();
