import type { BusEvent } from '../../bus/event-bus.js';
import type { FrameCodec, Snapshot } from '../../hub/frame-codec.js';
import { decodeNotice, isUserTopic } from '../../hub/user-topic.js';
import {
  cursorFrame,
  eventFrame,
  type HeartbeatStyle,
  heartbeatFrame,
  namedEventFrame,
  snapshotFrame,
  snapshotFrameHead,
} from '../../protocol/sse-frames.js';

/** The end of a frame whose data was bytes. */
const BLANK = Buffer.from('\n\n');

/** The hub's codec for Server-Sent Events: the protocol's frames (protocol/sse-frames.ts). */
export function sseCodec(heartbeatStyle: HeartbeatStyle): FrameCodec {
  return {
    event: (event: BusEvent) => {
      // Seat topics' events stay unnamed (`onmessage`); a private stream's notices are named.
      if (!isUserTopic(event.topic)) return eventFrame(event.id, event.data);
      const notice = decodeNotice(event.data);
      return namedEventFrame(event.id, notice.event, notice.data);
    },
    snapshot: (_topic: string, { id, data }: Snapshot) =>
      typeof data === 'string'
        ? snapshotFrame(id, data)
        : Buffer.concat([Buffer.from(snapshotFrameHead(id)), data, BLANK]),
    heartbeat: (now: Date) => heartbeatFrame(heartbeatStyle, now),
    cursor: cursorFrame,
  };
}
