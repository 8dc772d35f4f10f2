import type { Cluster, Redis } from 'ioredis';
import type { BusEvent, BusListener, BusObserver, BusSubscription, EventBus, History } from '../../bus/event-bus.js';
import { type EventId, formatEventId } from '../../protocol/event-id.js';
import { nextStep } from '../../protocol/resume.js';
import { DELETED_EVENT } from '../../protocol/sse-frames.js';
import { type RedisContext, topicKeys } from './redis-context.js';
import { busScripts } from './scripts.js';

interface Scripts {
  busAppend(meta: string, stream: string, ...args: (string | number)[]): Promise<[number, string, number]>;
  busHead(meta: string, ...args: (string | number)[]): Promise<[number, string]>;
  busReadAfter(meta: string, stream: string, ...args: (string | number)[]): Promise<string[]>;
}

/** Per-topic live state on this instance: who listens, and how far delivery has got. */
interface LiveTopic {
  readonly listeners: Set<BusListener>;
  epoch: string;
  /** Offset of the last event delivered; -1 until the starting point is known. */
  last: number;
  /** Messages held while a catch-up read is running, delivered after it. */
  held: BusEvent[] | null;
  reading?: boolean;
  /** Another catch-up was asked for while one was reading. */
  again?: boolean;
  /** Settles once the channel is subscribed and the starting point known (BusSubscription.ready). */
  readonly ready: Promise<void>;
  markReady(): void;
}

/**
 * Events in Redis: a Stream per topic (the retained history), a hash with the offset counter
 * and epoch, and a pub/sub channel for live delivery — all written by one script per append.
 *
 * Pub/sub delivers at most once (messages published while the subscriber connection is down
 * are gone), so this bus never trusts it alone: each topic remembers the last offset it
 * delivered, and a skipped offset, a (re)subscription or a reconnect triggers a read of the
 * Stream that delivers the missing events, in order, before newer ones.
 */
export class RedisBus implements EventBus {
  /** Events delivered from the Stream because pub/sub skipped them (a gauge of pub/sub loss). */
  recovered = 0;
  observer: BusObserver | undefined;
  private readonly live = new Map<string, LiveTopic>();
  private readonly byChannel = new Map<string, string>();
  private readonly scripts: Scripts;
  /** The same scripts on the reads' connection (RedisContext.reader): history and heads. */
  private readonly readScripts: Scripts;
  /** Reads not yet sent, by position (`offset@epoch topic`): every caller until the send shares one. */
  private readonly reads = new Map<string, PendingRead>();
  /** Positions whose read is out: a new read of one waits for it (at most one out per position). */
  private readonly sending = new Set<string>();

  constructor(
    private readonly ctx: RedisContext,
    private readonly subscriber: Redis | Cluster,
  ) {
    ctx.define(busScripts());
    this.scripts = ctx.client as unknown as Scripts;
    this.readScripts = ctx.reader as unknown as Scripts;
    subscriber.on(ctx.sharded ? 'smessage' : 'message', (channel: string, message: string) =>
      this.onMessage(channel, message),
    );
    // After a reconnect ioredis re-subscribes by itself; what was published meanwhile is read back.
    subscriber.on('ready', () => {
      for (const topic of this.live.keys()) this.catchUp(topic);
    });
    // A Cluster's per-shard subscribers reconnect out of sight, and a lost last message leaves no
    // later one to reveal the gap: so every topic's head is also checked now and then.
    this.healer = setInterval(() => void this.heal(), HEAL_MS);
    this.healer.unref();
  }

  private readonly healer: NodeJS.Timeout;

  async append(topic: string, data: string): Promise<BusEvent> {
    const keys = topicKeys(this.ctx.prefix, topic);
    const [offset, epoch, appendedAt] = await this.ctx.run(() =>
      this.scripts.busAppend(keys.meta, keys.stream, ...this.ctx.epochArgs(), keys.channel, data),
    );
    this.observer?.onAppended(1);
    return { topic, offset, epoch, id: formatEventId({ offset, epoch }), data, appendedAt };
  }

  subscribe(topic: string, listener: BusListener): BusSubscription {
    let live = this.live.get(topic);
    if (!live) {
      let markReady!: () => void;
      const ready = new Promise<void>((resolve) => (markReady = resolve));
      live = { listeners: new Set(), epoch: '', last: -1, held: [], ready, markReady };
      this.live.set(topic, live);
      const { channel } = topicKeys(this.ctx.prefix, topic);
      this.byChannel.set(channel, topic);
      void this.start(topic, channel);
    }
    live.listeners.add(listener);
    return { ready: live.ready, unsubscribe: () => this.unsubscribe(topic, listener) };
  }

  private unsubscribe(topic: string, listener: BusListener): void {
    const current = this.live.get(topic);
    if (!current?.listeners.delete(listener) || current.listeners.size > 0) return;
    this.live.delete(topic);
    const { channel } = topicKeys(this.ctx.prefix, topic);
    this.byChannel.delete(channel);
    const unsubscribed = this.ctx.sharded
      ? this.subscriber.sunsubscribe(channel)
      : this.subscriber.unsubscribe(channel);
    void unsubscribed.catch(() => undefined);
  }

  /**
   * Reads of one position share one script call (a reconnect storm brings thousands of resumes
   * from the same id): the calls that ask for a topic, offset and epoch before the read is sent
   * — within the same turn of the event loop, or while an earlier read of the same position is
   * still out — become one read, and every caller gets its result (the same object: read only).
   * A read is never joined once sent: a caller may have seen an append that the read, sent
   * before it, would miss (the contract: once `append` resolves, `readAfter` returns the event).
   */
  readAfter(topic: string, after: EventId): Promise<History> {
    const key = `${after.offset}@${after.epoch} ${topic}`;
    let read = this.reads.get(key);
    if (!read) {
      read = new PendingRead();
      this.reads.set(key, read);
      if (!this.sending.has(key)) setImmediate(() => this.send(key, topic, after));
    }
    return read.promise;
  }

  /** Sends the waiting read of a position; the next one waits until this one settles. */
  private send(key: string, topic: string, after: EventId): void {
    const read = this.reads.get(key);
    if (!read) return;
    this.reads.delete(key);
    this.sending.add(key);
    this.readStream(topic, after)
      .then(read.resolve, read.reject)
      .finally(() => {
        this.sending.delete(key);
        if (this.reads.has(key)) this.send(key, topic, after);
      });
  }

  private async readStream(topic: string, after: EventId): Promise<History> {
    const keys = topicKeys(this.ctx.prefix, topic);
    const reply = await this.ctx.run(() =>
      this.readScripts.busReadAfter(keys.meta, keys.stream, ...this.ctx.epochArgs(), after.offset, after.epoch),
    );
    if (reply.length === 0) return UNAVAILABLE;
    return { kind: 'events', events: toEvents(topic, reply) };
  }

  async head(topic: string): Promise<EventId> {
    const keys = topicKeys(this.ctx.prefix, topic);
    const [offset, epoch] = await this.ctx.run(() => this.readScripts.busHead(keys.meta, ...this.ctx.epochArgs()));
    return { offset: Number(offset), epoch };
  }

  /**
   * Publishes `0 <epoch> deleted` on the topic's channel, as seat-delete.lua does, without touching
   * its keys: every instance's listeners hear the deletion event (EventBus.endStreams).
   */
  async endStreams(topic: string): Promise<void> {
    const { channel } = topicKeys(this.ctx.prefix, topic);
    const message = `0 - ${DELETED_EVENT}`;
    const client = this.ctx.client;
    await this.ctx.run(() => (this.ctx.sharded ? client.spublish(channel, message) : client.publish(channel, message)));
  }

  async close(): Promise<void> {
    clearInterval(this.healer);
    this.live.clear();
    this.byChannel.clear();
  }

  /** Learns the head before subscribing, so everything published after it reaches listeners. */
  private async start(topic: string, channel: string): Promise<void> {
    const live = this.live.get(topic);
    if (!live) return;
    try {
      const head = await this.head(topic);
      live.epoch = head.epoch;
      live.last = head.offset;
      await (this.ctx.sharded ? this.subscriber.ssubscribe(channel) : this.subscriber.subscribe(channel));
      live.markReady();
    } catch {
      // Redis is down: the subscriber's 'ready' will catch up once it is back.
    }
    this.catchUp(topic);
  }

  /** `<offset>:<appended at> <epoch> <data>` (topic.lua), or `<offset> <epoch> <data>` without the time. */
  private onMessage(channel: string, message: string): void {
    const topic = this.byChannel.get(channel);
    const live = topic === undefined ? undefined : this.live.get(topic);
    if (!live || topic === undefined) return;
    const space = message.indexOf(' ');
    const space2 = message.indexOf(' ', space + 1);
    const colon = message.lastIndexOf(':', space);
    const offset = Number(message.slice(0, colon < 0 ? space : colon));
    const appendedAt = colon < 0 ? 0 : Number(message.slice(colon + 1, space));
    const epoch = message.slice(space + 1, space2);
    if (offset === 0) {
      this.deleted(live, { topic, offset, epoch, id: '', data: message.slice(space2 + 1), appendedAt: 0 });
      return;
    }
    if (appendedAt > 0) this.observer?.onReceived(Date.now() - appendedAt);
    const event: BusEvent = {
      topic,
      offset,
      epoch,
      id: formatEventId({ offset, epoch }),
      data: message.slice(space2 + 1),
      appendedAt,
    };
    this.offer(topic, live, event);
  }

  /**
   * The topic was deleted (seat-delete.lua publishes offset 0, DELETED_EVENT): listeners hear it
   * at once, whatever a catch-up is waiting for; nothing of the old topic is delivered after it.
   * A topic written again starts a new epoch, which listeners that stay meet as one.
   */
  private deleted(live: LiveTopic, event: BusEvent): void {
    if (live.held) live.held = [];
    for (const listener of live.listeners) listener(event);
  }

  /** A live message meets the resume rule: delivered, dropped as a repeat, or held for a catch-up. */
  private offer(topic: string, live: LiveTopic, event: BusEvent): void {
    if (live.held) {
      live.held.push(event);
      return;
    }
    const step = nextStep(live, { epoch: event.epoch, first: event.offset, last: event.offset });
    if (step.action === 'resync' && step.reason === 'gap') {
      live.held = [event];
      this.catchUp(topic);
    } else if (step.action !== 'drop') {
      // A new epoch is passed on as it is: offsets restarted, and each listener resyncs itself.
      this.deliver(live, event);
    }
  }

  private deliver(live: LiveTopic, event: BusEvent): void {
    live.epoch = event.epoch;
    live.last = event.offset;
    for (const listener of live.listeners) listener(event);
  }

  /** Delivers what a read of the Stream found, counting what pub/sub had not delivered. */
  private recover(live: LiveTopic, events: readonly BusEvent[]): void {
    let recovered = 0;
    for (const event of events) {
      if (nextStep(live, { epoch: event.epoch, first: event.offset, last: event.offset }).action !== 'deliver')
        continue;
      this.deliver(live, event);
      recovered++;
    }
    this.recovered += recovered;
    if (recovered > 0) this.observer?.onRecovered(recovered);
  }

  /** Catches up every live topic whose head moved past what was delivered. */
  private async heal(): Promise<void> {
    for (const [topic, live] of this.live) {
      if (live.reading || live.last < 0) continue;
      const { meta } = topicKeys(this.ctx.prefix, topic);
      try {
        const [offset, epoch] = await this.ctx.client.hmget(meta, 'offset', 'epoch');
        // A topic never written has nothing to catch up on (and its head is a fresh epoch each time).
        if (epoch === null) continue;
        if (epoch !== live.epoch || Number(offset ?? 0) > live.last) this.catchUp(topic);
      } catch {
        return; // Redis unreachable: the next round tries again
      }
    }
  }

  /**
   * Reads what was missed from the Stream, delivers it, then what was held meanwhile. One read
   * per topic at a time; a failed read (Redis still coming back) is retried until it succeeds
   * or the topic has no listeners left, and live messages stay held until then.
   */
  private catchUp(topic: string): void {
    const live = this.live.get(topic);
    if (!live) return;
    live.held ??= [];
    if (live.reading) {
      live.again = true;
      return;
    }
    live.reading = true;
    this.readMissed(topic, live).then(
      () => {
        live.reading = false;
        if (live.again) {
          live.again = false;
          this.catchUp(topic);
          return;
        }
        live.markReady();
        const held = live.held ?? [];
        live.held = null;
        // A held message may reveal another gap, which holds the rest again.
        for (const event of held) this.offer(topic, live, event);
      },
      () => {
        live.reading = false;
        live.again = false;
        setTimeout(() => {
          if (this.live.get(topic) === live) this.catchUp(topic);
        }, CATCH_UP_RETRY_MS).unref();
      },
    );
  }

  private async readMissed(topic: string, live: LiveTopic): Promise<void> {
    if (live.last >= 0) {
      const history = await this.readAfter(topic, { offset: live.last, epoch: live.epoch });
      if (history.kind === 'events') {
        this.recover(live, history.events);
        return;
      }
    }
    // Nothing was delivered yet and the topic now has another epoch (a topic never written had a
    // provisional one, and its first append minted the real one while this read was on its way):
    // all of the new epoch is new, so it is delivered from its start if it is still retained.
    const head = await this.head(topic);
    const fresh = live.last === 0;
    live.epoch = head.epoch;
    live.last = head.offset;
    if (head.offset === 0) return;
    if (fresh) {
      const all = await this.readAfter(topic, { offset: 0, epoch: head.epoch });
      if (all.kind === 'events') {
        live.last = 0;
        this.recover(live, all.events);
        return;
      }
    }
    // Lost track: the history is gone, the epoch changed, or the start was never known. Go on
    // from the newest event and deliver it, so listeners see the jump (a new epoch, a gap) and
    // resync themselves; without it they would wait for an event that may never come.
    const newest = await this.readAfter(topic, { offset: head.offset - 1, epoch: head.epoch });
    if (newest.kind !== 'events') return;
    live.last = head.offset - 1;
    this.recover(live, newest.events);
  }
}

/** A read's result as a promise, with its settlers for the one script call that answers it. */
class PendingRead {
  readonly promise: Promise<History>;
  resolve!: (history: History) => void;
  reject!: (error: unknown) => void;
  constructor() {
    this.promise = new Promise<History>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

const UNAVAILABLE: History = { kind: 'unavailable' };
const CATCH_UP_RETRY_MS = 200;
const HEAL_MS = 1_000;

/** bus-read-after.lua's reply: the epoch, then offset, data and append time of each event. */
function toEvents(topic: string, reply: string[]): BusEvent[] {
  const epoch = reply[0]!;
  const events: BusEvent[] = [];
  for (let i = 1; i < reply.length; i += 3) {
    const offset = Number(reply[i]);
    const appendedAt = Number(reply[i + 2]);
    events.push({ topic, offset, epoch, id: formatEventId({ offset, epoch }), data: reply[i + 1]!, appendedAt });
  }
  return events;
}
