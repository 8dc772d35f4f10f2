/**
 * The Server-Sent Events frames of a seat stream. Seat events are unnamed (`message`) so the
 * original design's `onmessage` client sees them; snapshots and errors are named so it does not.
 */
import { type EventId, formatEventId } from './event-id.js';
import { encodeHeartbeat } from './seat-events.js';

/** Named events a stream may carry besides unnamed seat events. */
export const SNAPSHOT_EVENT = 'snapshot';
export const ERROR_EVENT = 'error';
export const CURSOR_EVENT = 'cursor';
/** The first event of a private (per-user) stream: names whose stream it is. */
export const CONNECTED_EVENT = 'connected';
/**
 * The last event of a stream whose schedule was deleted. On the event bus, the deletion of a
 * topic travels as an event with this data (offset 0, never stored).
 */
export const DELETED_EVENT = 'deleted';

/** `comment`: `: heartbeat` only; `data`: a heartbeat message only; `both`: the two. */
export type HeartbeatStyle = 'both' | 'comment' | 'data';

export function eventFrame(id: string, data: string): string {
  return `id: ${id}\ndata: ${data}\n\n`;
}

export function snapshotFrame(id: EventId, data: string): string {
  return `${snapshotFrameHead(id)}${data}\n\n`;
}

/** A snapshot frame up to its data (one line of JSON), which a blank line follows. */
export function snapshotFrameHead(id: EventId): string {
  return `id: ${formatEventId(id)}\nevent: ${SNAPSHOT_EVENT}\ndata: `;
}

/** Heartbeats carry no id, so they never move a client's Last-Event-ID. */
export function heartbeatFrame(style: HeartbeatStyle, at: Date): string {
  const comment = style === 'data' ? '' : ': heartbeat\n\n';
  const data = style === 'comment' ? '' : `data: ${encodeHeartbeat(at)}\n\n`;
  return comment + data;
}

/**
 * The position of a multi-schedule connection. It carries data: several widely used SSE
 * libraries record an id only from a block with data, although browsers also take it from an
 * id-only block. Named, so `onmessage` never sees it.
 */
export function cursorFrame(token: string): string {
  return `id: ${token}\nevent: ${CURSOR_EVENT}\ndata: ${token}\n\n`;
}

/**
 * How long a client waits before it reconnects. A `retry:` line rides on a block with data: on its
 * own it makes `@microsoft/fetch-event-source` hand `onmessage` an empty message. A stream gets
 * it in its first block with data (`withRetry`) and on the data heartbeat that ends it (this),
 * a message every client already skips.
 */
export function retryFrame(ms: number, at: Date): string {
  return `retry: ${Math.round(ms)}\n${heartbeatFrame('data', at)}`;
}

/** `frames` with a `retry:` line in its first block that carries data; undefined when none does. */
export function withRetry(frames: string, ms: number): string | undefined {
  for (let start = 0; start < frames.length; ) {
    const end = frames.indexOf('\n\n', start);
    const block = frames.slice(start, end < 0 ? frames.length : end);
    if (block.startsWith('data:') || block.includes('\ndata:')) {
      return `${frames.slice(0, start)}retry: ${Math.round(ms)}\n${frames.slice(start)}`;
    }
    if (end < 0) return undefined;
    start = end + 2;
  }
  return undefined;
}

export function errorFrame(body: { error: string; message: string }): string {
  return `event: ${ERROR_EVENT}\ndata: ${JSON.stringify(body)}\n\n`;
}

/** Ends a stream whose schedule was deleted; a multi-schedule connection ends with it too. */
export function deletedFrame(scheduleId: number): string {
  return `event: ${DELETED_EVENT}\ndata: {"scheduleId":${scheduleId}}\n\n`;
}

/** A notice of a private stream: named, with the id of the user topic's event. */
export function namedEventFrame(id: string, event: string, data: string): string {
  return `id: ${id}\nevent: ${event}\ndata: ${data}\n\n`;
}

/** Opens a private stream. No id: it never moves a client's Last-Event-ID. */
export function connectedFrame(userId: string): string {
  return `event: ${CONNECTED_EVENT}\ndata: ${JSON.stringify({ userId })}\n\n`;
}

/** Ends a private stream that the service closed (DELETE /api/users/:userId/streams). */
export function userStreamEndedFrame(userId: string): string {
  return `event: ${DELETED_EVENT}\ndata: ${JSON.stringify({ userId })}\n\n`;
}
