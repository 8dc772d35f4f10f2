import type { FrameCodec, Snapshot } from './frame-codec.js';

/** Every snapshot frame made: the writer knows them by identity (nothing is added to other chunks). */
const frames = new WeakSet<Buffer>();

/**
 * Whether `bytes` is a snapshot frame, which a connection bounds by time rather than by bytes
 * (http/sse/sse-stream.ts): a map may be megabytes, more than the slow-reader bound of live frames.
 */
export function isSnapshotFrame(bytes: Buffer): boolean {
  return frames.has(bytes);
}

/**
 * Snapshot frames encoded once per snapshot and shared by every subscriber that takes it: a
 * snapshot source that hands out the same `Snapshot` object for the same position (the map
 * cache does, per event offset) has its frame made once, and a socket's queue holds a reference
 * to the one buffer rather than a copy. A frame lives as long as its `Snapshot` does.
 */
export class SnapshotFrames {
  private readonly encoded = new WeakMap<Snapshot, Buffer>();

  constructor(private readonly codec: FrameCodec) {}

  of(topic: string, snapshot: Snapshot): Buffer {
    let bytes = this.encoded.get(snapshot);
    if (!bytes) {
      const frame = this.codec.snapshot(topic, snapshot);
      bytes = Buffer.isBuffer(frame) ? frame : Buffer.from(frame);
      frames.add(bytes);
      this.encoded.set(snapshot, bytes);
    }
    return bytes;
  }
}
