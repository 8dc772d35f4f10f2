/**
 * Event ids are `offset@epoch`: a contiguous per-topic offset (1, 2, 3, ...) minted where the
 * event is stored, and an epoch that changes whenever the topic's history may have been lost
 * or rewritten. The same id names the same event on every instance. Offsets compare only within
 * one epoch.
 */
export interface EventId {
  readonly offset: number;
  readonly epoch: string;
}

const EPOCH = /^[0-9a-z]{1,32}$/;
const ID = /^(0|[1-9][0-9]{0,15})@([0-9a-z]{1,32})$/;

export function formatEventId(id: EventId): string {
  return `${id.offset}@${id.epoch}`;
}

/** Undefined for anything missing or malformed; the server answers that with a 400. */
export function parseEventId(text: string | null | undefined): EventId | undefined {
  const match = text ? ID.exec(text) : null;
  if (!match) return undefined;
  const offset = Number(match[1]);
  if (!Number.isSafeInteger(offset)) return undefined;
  return { offset, epoch: match[2]! };
}

export function isEpoch(text: string): boolean {
  return EPOCH.test(text);
}

/** True when `id` is in `than`'s epoch and not after it: already reflected. */
export function isNotNewer(id: EventId, than: EventId | undefined): boolean {
  return than !== undefined && id.epoch === than.epoch && id.offset <= than.offset;
}
