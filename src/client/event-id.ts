/**
 * Event ids (`offset@epoch`) and multi-schedule cursors (`1:5@k3x9,2:2@k3x9`), as docs/api.md
 * defines them. Offsets compare only within one epoch; a new epoch means the history was lost.
 */
import { formatEventId as formatId, parseEventId as parseId, type EventId } from '../bus/event-id.js';
import { formatCursor as formatPositions } from '../hub/cursor.js';

// One definition of the wire format, shared with the server; these wrappers only fit it to the
// client's shapes.
export type { EventId };

export function parseEventId(text: string | null | undefined): EventId | undefined {
  return (text && parseId(text)) || undefined;
}

export function formatEventId(id: EventId): string {
  return formatId(id.offset, id.epoch);
}

/** True when `id` is in `than`'s epoch and not after it: already reflected. */
export function isNotNewer(id: EventId, than: EventId | undefined): boolean {
  return than !== undefined && id.epoch === than.epoch && id.offset <= than.offset;
}

/** The resume value of a multi-schedule stream: every schedule with a known position. */
export function formatCursor(positions: Iterable<readonly [number, EventId]>): string {
  const labelled = new Map<string, string>();
  for (const [scheduleId, id] of positions) labelled.set(String(scheduleId), formatEventId(id));
  return formatPositions(labelled);
}
