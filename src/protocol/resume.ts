/**
 * The one rule every reader of a topic applies to what arrives live: the server's bus (after
 * Redis pub/sub), each subscriber's stream in the hub, and the client's seat map. Events of a
 * topic carry contiguous offsets within an epoch, so comparing a span of them with the last
 * offset a reader has tells it what to do, with no other state.
 */

/** Where a reader stands: the epoch and the offset of the last event it has (-1: none yet). */
export interface Position {
  readonly epoch: string;
  readonly last: number;
}

/** Contiguous events of one topic and epoch, offsets `first` to `last` (one event: first = last). */
export interface Span {
  readonly epoch: string;
  readonly first: number;
  readonly last: number;
}

export type Step =
  /** It follows what the reader has: take all of it. */
  | { readonly action: 'deliver' }
  /** The reader has the first `skip` events already (the resume boundary): take the rest. */
  | { readonly action: 'cut'; readonly skip: number }
  /** The reader has all of it already. */
  | { readonly action: 'drop' }
  /**
   * It does not follow: events are missing in between (`gap`), or offsets restarted under a new
   * epoch (`epoch`). Read what was missed from history, or start again from a snapshot.
   */
  | { readonly action: 'resync'; readonly reason: 'gap' | 'epoch' };

// Shared step objects: this runs once per chunk per subscriber, so it allocates only for a cut.
const DELIVER: Step = { action: 'deliver' };
const DROP: Step = { action: 'drop' };
const GAP: Step = { action: 'resync', reason: 'gap' };
const NEW_EPOCH: Step = { action: 'resync', reason: 'epoch' };

export function nextStep(at: Position, span: Span): Step {
  if (span.epoch !== at.epoch) return NEW_EPOCH;
  if (span.first > at.last + 1) return GAP;
  if (span.first === at.last + 1) return DELIVER;
  if (span.last > at.last) return { action: 'cut', skip: at.last + 1 - span.first };
  return DROP;
}
