import type { Snapshot, SnapshotForm } from '../hub/frame-codec.js';
import { encodeCompactSnapshotOf } from '../protocol/compact-map.js';
import { type EventId, formatEventId } from '../protocol/event-id.js';
import { snapshotDataAround } from '../protocol/seat-events.js';
import { PublicMap } from '../seats/public-map.js';
import type { ScheduleState } from '../seats/seat.js';
import { type ContentEncoding, compress, type Density } from './content-encoding.js';

export interface MapCacheOptions {
  /** The id of the newest event of the schedule's topic: a cached map is served only while it reflects it. */
  head(scheduleId: number): Promise<EventId>;
  /** Reads the schedule's seats and the id of the last event they reflect (one store read). */
  read(scheduleId: number): Promise<ScheduleState>;
  /** A schedule nobody read for this long loses its cached map. */
  idleMs?: number;
  /** The most bytes all cached maps may take, their compressed forms included. */
  maxBytes?: number;
  /**
   * A schedule created again under its id gets a new epoch even before its first event (Redis
   * does; the memory bus does not), so a head at offset 0 names one map too.
   */
  freshEpochOnCreate?: boolean;
}

/** One schedule's public map at one event offset, in every form asked for so far, shared by every reader. */
export class MapBody {
  /** `offset@epoch` of the last event reflected (the `Last-Event-ID` and the base of the `ETag`). */
  readonly eventId: string;
  private readonly forms = new Map<'br' | 'gzip', Promise<Buffer>>();
  private compressedBytes = 0;
  private readonly snapshots = new Map<SnapshotForm, Snapshot>();

  constructor(
    readonly map: PublicMap,
    /** Called when `bytes` grew: a compressed form is ready, or a frame will be made of the snapshot. */
    private readonly grown: () => void,
    /** When the store read of this map began (`Date.now()`): the map is at least as new as that. */
    readonly readAt = Date.now(),
    /** How hard its compressed forms are compressed: a map soon replaced is not worth a dense setting. */
    private readonly density: Density = 'dense',
  ) {
    this.eventId = formatEventId(map.id);
  }

  get id(): EventId {
    return this.map.id;
  }

  /**
   * What this body keeps in memory: the JSON, the compact runs, the compressed forms, the holders'
   * seats, and for each form it was a snapshot in, the hub's frame of it (which lives as long as
   * the snapshot: about the size of that form's text).
   */
  get bytes(): number {
    const { map } = this;
    let frames = 0;
    for (const form of this.snapshots.keys()) frames += form === 'compact' ? map.compactRuns.length : map.bytes.length;
    return map.bytes.length + map.compactRuns.length + this.compressedBytes + map.extraBytes + frames;
  }

  /** The public map in `encoding`, compressed once per encoding, off the event loop. */
  encoded(encoding: ContentEncoding): Promise<Buffer> {
    if (encoding === 'identity') return Promise.resolve(this.map.bytes);
    let form = this.forms.get(encoding);
    if (!form) {
      form = compress(this.map.bytes, encoding, this.density);
      this.forms.set(encoding, form);
      form.then(
        (bytes) => {
          this.compressedBytes += bytes.length;
          this.grown();
        },
        () => this.forms.delete(encoding), // the next reader tries again
      );
    }
    return form;
  }

  /** The map as a stream's snapshot in the full form (`seats`). */
  get snapshot(): Snapshot {
    return this.snapshotIn('full');
  }

  /**
   * The map as a stream's snapshot in `form`. The same object for every subscriber, so the hub
   * encodes its frame once (hub/snapshot-frames.ts); its text is made only then and not kept here.
   */
  snapshotIn(form: SnapshotForm): Snapshot {
    let snapshot = this.snapshots.get(form);
    if (snapshot) return snapshot;
    const { map } = this;
    snapshot = {
      id: map.id,
      get data() {
        if (form === 'compact') return encodeCompactSnapshotOf(map.scheduleId, map.compactRuns);
        // Megabytes: around the map's own bytes, rather than decoded to text and encoded again.
        const [before, after] = snapshotDataAround(map.scheduleId);
        return Buffer.concat([Buffer.from(before), map.bytes, Buffer.from(after)]);
      },
    };
    this.snapshots.set(form, snapshot);
    this.grown(); // its frame counts from now on
    return snapshot;
  }
}

/** A read of a schedule's map, shared by every reader whose position it covers. */
interface Flight {
  /** The newest head seen by a reader that joined before the read began: the read reflects at least this. */
  head: EventId;
  promise: Promise<MapBody>;
}

interface Entry {
  body: MapBody | undefined;
  /** The read under way. */
  current: Flight | undefined;
  /** The read that begins when the current one ends, for readers that saw a newer head meanwhile. */
  next: Flight | undefined;
  lastRead: number;
}

const DEFAULT_IDLE_MS = 30_000;
const DEFAULT_MAX_BYTES = 128 * 1024 * 1024;
/** A map read this soon after the schedule's previous one has its compressed forms made `fast`. */
const DENSE_AFTER_MS = 1_000;

/**
 * The public seat maps of `GET …/seats` and of stream snapshots, serialized once per event
 * offset and shared by every reader at that offset (design.md §10). A reader first asks the bus
 * for the schedule's head (a cheap read): a cached map that reflects it is served as it is.
 * Otherwise the reader joins the store read under way if that read covers its head, or the one
 * queued after it: per schedule at most one read runs and one waits, however many readers come,
 * and each gets a map no older than the head it saw (a client that just held a seat sees it).
 *
 * Bounded: one map per schedule (a newer one replaces it), dropped once nobody read it for
 * `idleMs`, and the least recently read dropped while all of them take more than `maxBytes`.
 */
export class MapCache {
  private readonly entries = new Map<number, Entry>();
  private readonly idleMs: number;
  private readonly maxBytes: number;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly options: MapCacheOptions) {
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  /**
   * The map that reflects at least the schedule's head as it is now; or, within `behind`, a map
   * of the same epoch read a moment ago, although newer events exist: at most one read of the
   * schedule's seats per `behind.ms`, however fast they change. Either is consistent: it carries
   * the id of the last event it reflects, and a stream resumed from that id misses nothing.
   */
  async get(scheduleId: number, behind: Staleness = CURRENT): Promise<MapBody> {
    const head = await this.options.head(scheduleId);
    const entry = this.touch(scheduleId);
    // Offset 0 names no event: unless the store gives a schedule created again a new epoch, one
    // deleted and created again with another layout has the same head, so its map is read again.
    const named = head.offset > 0 || this.options.freshEpochOnCreate === true;
    const { body } = entry;
    if (body && named && covers(body.id, head)) return body;
    if (body && named && within(body, head, behind)) return body;
    if (entry.current && covers(entry.current.head, head)) return entry.current.promise;
    if (entry.next) {
      entry.next.head = newest(entry.next.head, head);
      return entry.next.promise;
    }
    const flight: Flight = { head, promise: undefined as unknown as Promise<MapBody> };
    const after = entry.current?.promise.then(noop, noop);
    flight.promise = after
      ? after.then(() => this.read(scheduleId, entry, flight))
      : this.read(scheduleId, entry, flight);
    if (after) entry.next = flight;
    return flight.promise;
  }

  /** Schedules with a cached map. */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes of every cached map and its compressed forms. */
  get bytes(): number {
    let bytes = 0;
    for (const entry of this.entries.values()) bytes += entry.body?.bytes ?? 0;
    return bytes;
  }

  close(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.entries.clear();
  }

  private async read(scheduleId: number, entry: Entry, flight: Flight): Promise<MapBody> {
    entry.current = flight;
    if (entry.next === flight) entry.next = undefined;
    try {
      const readAt = Date.now();
      // The previous map of the schedule lends the slices of seats that did not change.
      const map = await PublicMap.build(await this.options.read(scheduleId), entry.body?.map);
      // A schedule whose last map lived less than a second changes faster than a dense compression pays back.
      const previous = entry.body?.readAt;
      const density = previous !== undefined && readAt - previous < DENSE_AFTER_MS ? 'fast' : 'dense';
      const body = new MapBody(map, () => this.bound(), readAt, density);
      // Reads run one after another, so the newest read's map replaces the one before it.
      if (this.entries.get(scheduleId) === entry) {
        entry.body = body;
        this.bound();
      }
      return body;
    } catch (error) {
      // Nothing to keep of a schedule that cannot be read (one that does not exist, say).
      if (!entry.body && !entry.next && this.entries.get(scheduleId) === entry) this.entries.delete(scheduleId);
      throw error;
    } finally {
      if (entry.current === flight) entry.current = undefined;
    }
  }

  /** The schedule's entry, now the most recently read. */
  private touch(scheduleId: number): Entry {
    let entry = this.entries.get(scheduleId);
    if (entry) this.entries.delete(scheduleId);
    else entry = { body: undefined, current: undefined, next: undefined, lastRead: 0 };
    entry.lastRead = Date.now();
    this.entries.set(scheduleId, entry);
    this.sweeper ??= setInterval(this.sweep, this.idleMs / 2).unref();
    return entry;
  }

  /** Drops the least recently read maps while all of them take more than `maxBytes`. */
  private bound(): void {
    let excess = this.bytes - this.maxBytes;
    for (const [scheduleId, entry] of this.entries) {
      if (excess <= 0) return;
      if (!entry.body) continue;
      excess -= entry.body.bytes;
      this.entries.delete(scheduleId);
    }
  }

  private readonly sweep = (): void => {
    const idleSince = Date.now() - this.idleMs;
    for (const [scheduleId, entry] of this.entries) {
      if (entry.lastRead <= idleSince && !entry.current && !entry.next) this.entries.delete(scheduleId);
    }
    if (this.entries.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  };
}

/** How far behind the head a map may be: by time since its read, and by events. */
export interface Staleness {
  ms: number;
  /**
   * Events: a stream resumes from the map's id only while the topic's history still holds what
   * came after it (REPLAY_LIMIT); further behind, it would be given a snapshot again, and again.
   */
  events: number;
}

const CURRENT: Staleness = { ms: 0, events: 0 };

/**
 * A map up to `ms` old and at most half the replay window behind the head: a stream goes on from
 * the map's id with the events after it, which the topic's history must still hold.
 */
export function staleness(ms: number, replayLimit: number): Staleness {
  return { ms, events: Math.floor(replayLimit / 2) };
}

function within(body: MapBody, head: EventId, behind: Staleness): boolean {
  return (
    body.id.epoch === head.epoch &&
    head.offset - body.id.offset <= behind.events &&
    Date.now() - body.readAt < behind.ms
  );
}

/** Whether a map at `id` reflects everything up to `head`. */
function covers(id: EventId, head: EventId): boolean {
  return id.epoch === head.epoch && id.offset >= head.offset;
}

/** The later of two heads; of two epochs, the one seen last. */
function newest(a: EventId, b: EventId): EventId {
  return a.epoch === b.epoch && a.offset > b.offset ? a : b;
}

function noop(): void {}
