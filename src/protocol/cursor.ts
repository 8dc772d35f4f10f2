import { type EventId, formatEventId, parseEventId } from './event-id.js';

/** Longest cursor a server accepts: 20 schedules with long ids fit with room to spare. */
export const MAX_CURSOR_LENGTH = 8192;

/**
 * The position of a connection that follows several topics: `label:offset@epoch,label:offset@epoch`
 * (the label is the schedule id). One event id cannot say where each topic stands, so a
 * multi-topic stream writes this token after each chunk and a reconnecting client brings it back.
 */
export function formatCursor(positions: Iterable<readonly [string | number, EventId]>): string {
  let token = '';
  for (const [label, id] of positions) token += `${token ? ',' : ''}${label}:${formatEventId(id)}`;
  return token;
}

/** Undefined when malformed; labels missing from the token simply have no position. */
export function parseCursor(token: string): Map<string, EventId> | undefined {
  if (token.length > MAX_CURSOR_LENGTH) return undefined;
  const positions = new Map<string, EventId>();
  for (const part of token.split(',')) {
    const colon = part.indexOf(':');
    if (colon <= 0) return undefined;
    const id = parseEventId(part.slice(colon + 1));
    if (!id) return undefined;
    positions.set(part.slice(0, colon), id);
  }
  return positions;
}
