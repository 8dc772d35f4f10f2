import { parseEventId, type EventId } from '../bus/event-id.js';

/**
 * The position of a subscription that follows several topics on one connection:
 * `label:offset@epoch,label:offset@epoch`. One event id cannot say where each topic stands, so a
 * multi-topic stream writes this token after each chunk and a reconnecting client brings it back.
 */
export function formatCursor(positions: ReadonlyMap<string, string>): string {
  let token = '';
  for (const [label, id] of positions) token += `${(token ? ',' : '') + label}:${id}`;
  return token;
}

/** Null when malformed; labels missing from the token simply have no position. */
export function parseCursor(token: string): Map<string, EventId> | null {
  const positions = new Map<string, EventId>();
  if (token.length > 8192) return null;
  for (const part of token.split(',')) {
    const colon = part.indexOf(':');
    if (colon <= 0) return null;
    const id = parseEventId(part.slice(colon + 1));
    if (!id) return null;
    positions.set(part.slice(0, colon), id);
  }
  return positions;
}
