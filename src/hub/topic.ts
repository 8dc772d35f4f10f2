import type { BusEvent, EventBus } from '../bus/event-bus.js';
import { Sinks, type ManySink } from '../sinks/index.js';
import type { FrameCodec } from './frame-codec.js';

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
}

/**
 * One live stream per topic: the bus delivers events, and everything that arrives within one
 * turn of the event loop goes to subscribers as one chunk — one write per connection per tick,
 * however many seats changed (DESIGN §6).
 */
export class Topic {
  /** Best effort: each connection bounds its own backlog, so one slow reader never paces others. */
  readonly sink: ManySink<Chunk> = Sinks.many().multicast().directBestEffort<Chunk>();
  private pending: BusEvent[] = [];
  private scheduled = false;
  private readonly unsubscribeBus: () => void;

  constructor(
    readonly name: string,
    bus: EventBus,
    private readonly codec: FrameCodec,
  ) {
    this.unsubscribeBus = bus.subscribe(name, (event) => {
      this.pending.push(event);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  dispose(): void {
    this.unsubscribeBus();
    this.pending = [];
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const events = this.pending;
    this.pending = [];
    // A chunk never spans epochs: split where the epoch changes (offsets restart there).
    let start = 0;
    for (let i = 1; i <= events.length; i++) {
      if (i === events.length || events[i]!.epoch !== events[start]!.epoch) {
        this.sink.tryEmitNext(encodeChunk(this.name, events.slice(start, i), this.codec));
        start = i;
      }
    }
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
  };
}
