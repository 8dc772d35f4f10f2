/**
 * Event ids are `offset@epoch`: a contiguous per-topic offset (1, 2, 3, ...) minted where the
 * event is stored, and an epoch that changes whenever the topic's history may have been lost
 * or rewritten. The same id names the same event on every instance.
 */
export interface EventId {
  readonly offset: number;
  readonly epoch: string;
}

const EPOCH = /^[0-9a-z]{1,32}$/;
const ID = /^(0|[1-9][0-9]{0,15})@([0-9a-z]{1,32})$/;

export function formatEventId(offset: number, epoch: string): string {
  return `${offset}@${epoch}`;
}

/** Null for anything malformed; callers turn that into a 400. */
export function parseEventId(text: string): EventId | null {
  const match = ID.exec(text);
  if (!match) return null;
  const offset = Number(match[1]);
  if (!Number.isSafeInteger(offset)) return null;
  return { offset, epoch: match[2]! };
}

export function isEpoch(text: string): boolean {
  return EPOCH.test(text);
}

/** A fresh epoch: random, short, and safe inside ids, headers and Redis keys. */
export function newEpoch(): string {
  return Math.floor(Math.random() * 36 ** 8)
    .toString(36)
    .padStart(8, '0');
}
