import type { BusEvent } from '../../bus/event-bus.js';
import { formatEventId } from '../../bus/event-id.js';
import type { HeartbeatStyle } from '../../config.js';
import type { FrameCodec, Snapshot } from '../../hub/frame-codec.js';

/**
 * The SSE wire format of DESIGN §3. Seat events are unnamed (`message`) so the original
 * design's `onmessage` client sees them; snapshots are named so it does not.
 */
export function sseCodec(heartbeatStyle: HeartbeatStyle): FrameCodec {
  return {
    event: (event: BusEvent) => `id: ${event.id}\ndata: ${event.data}\n\n`,
    snapshot: (_topic: string, snapshot: Snapshot) =>
      `id: ${formatEventId(snapshot.id.offset, snapshot.id.epoch)}\nevent: snapshot\ndata: ${snapshot.data}\n\n`,
    heartbeat: (now: Date) => {
      // Heartbeats carry no id, so they never move a client's Last-Event-ID.
      const comment = heartbeatStyle === 'data' ? '' : ': heartbeat\n\n';
      const data =
        heartbeatStyle === 'comment'
          ? ''
          : `data: {"scheduleSeatId":-1,"status":null,"timestamp":"${now.toISOString()}","isHeartbeat":true}\n\n`;
      return comment + data;
    },
    // An id-only block: it updates the browser's last event id without dispatching an event.
    cursor: (token: string) => `id: ${token}\n\n`,
  };
}

export function sseRetry(ms: number): string {
  return `retry: ${Math.round(ms)}\n\n`;
}

export function sseError(body: { error: string; message: string }): string {
  return `event: error\ndata: ${JSON.stringify(body)}\n\n`;
}
