/**
 * Event ids (`offset@epoch`) and multi-schedule cursors (`1:5@k3x9,2:2@k3x9`), as docs/api.md
 * defines them. Offsets compare only within one epoch; a new epoch means the history was lost.
 */
export interface EventId {
  readonly offset: number;
  readonly epoch: string;
}

const ID = /^(0|[1-9][0-9]{0,15})@([0-9a-z]{1,32})$/;

export function parseEventId(text: string | null | undefined): EventId | undefined {
  const match = text ? ID.exec(text) : null;
  if (!match) return undefined;
  const offset = Number(match[1]);
  return Number.isSafeInteger(offset) ? { offset, epoch: match[2]! } : undefined;
}

export function formatEventId(id: EventId): string {
  return `${id.offset}@${id.epoch}`;
}

/** True when `id` is in `than`'s epoch and not after it: already reflected. */
export function isNotNewer(id: EventId, than: EventId | undefined): boolean {
  return than !== undefined && id.epoch === than.epoch && id.offset <= than.offset;
}

/** The resume value of a multi-schedule stream: every schedule with a known position. */
export function formatCursor(positions: Iterable<readonly [number, EventId]>): string {
  const parts: string[] = [];
  for (const [scheduleId, id] of positions) parts.push(`${scheduleId}:${formatEventId(id)}`);
  return parts.join(',');
}
