import type { BusEvent } from '../../bus/event-bus.js';
import type { FrameCodec, Snapshot } from '../../hub/frame-codec.js';
import {
  cursorFrame,
  eventFrame,
  type HeartbeatStyle,
  heartbeatFrame,
  snapshotFrame,
} from '../../protocol/sse-frames.js';

/** The hub's codec for Server-Sent Events: the protocol's frames (protocol/sse-frames.ts). */
export function sseCodec(heartbeatStyle: HeartbeatStyle): FrameCodec {
  return {
    event: (event: BusEvent) => eventFrame(event.id, event.data),
    snapshot: (_topic: string, snapshot: Snapshot) => snapshotFrame(snapshot.id, snapshot.data),
    heartbeat: (now: Date) => heartbeatFrame(heartbeatStyle, now),
    cursor: cursorFrame,
  };
}
