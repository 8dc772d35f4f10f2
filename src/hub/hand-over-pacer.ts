import { performance } from 'node:perf_hooks';

/**
 * Merging a topic's events in time, when handing them over is costly and the event loop busy.
 *
 * A hand-over of a chunk to thousands of subscribers is thousands of socket writes. Without
 * pacing, a topic hands over whatever arrived in one turn of the event loop: at 200 holds/s on
 * 2,000 subscribers the loop fell behind first, and only then did chunks grow (the first holds
 * of a burst waited 1.4–2 s). Paced, a topic whose hand-overs take D ms waits PACE × D ms after
 * one before the next, from the first event of a burst, and what arrives meanwhile goes out as
 * one chunk. D is the hand-over's duration (merging saves no encoding), averaged (one slow
 * hand-over, code not yet optimized or a collection, does not hold the next event back). It is
 * read off the monotonic clock: the process's CPU time (`getrusage`), read twice per hand-over,
 * was 7 % of the busy samples in a profile of W3 (1,000 small topics at an event a second each),
 * and a hand-over never waits on anything, so its duration is its CPU time unless the OS set the
 * process aside, when pacing a little more does no harm. A topic of a few subscribers (D well
 * under a millisecond) never waits, nor does any topic while the loop has time to spare (BUSY).
 */
const PACE = 1;
/** Weight of the newest hand-over in the average. */
const SMOOTHING = 0.25;
/** Most that pacing adds to an event's latency. */
const MAX_MERGE_MS = 100;
/** Pacing starts once the event loop is this busy (10 holds/s on 2,000 subscribers keep it a quarter busy). */
const BUSY = 0.8;
/** Events past which a paced topic hands over at once: about 40 KB of seat events, inside a reader's bound. */
export const MAX_MERGE_EVENTS = 256;

const WINDOW_MS = 100;
let windowStart = performance.eventLoopUtilization();
let lastWindow = 0;

/** How busy the event loop is (0–1): the last WINDOW_MS window's, or the current one's if busier. */
function loopUtilization(): number {
  const current = performance.eventLoopUtilization(windowStart);
  const elapsed = current.idle + current.active;
  if (elapsed >= WINDOW_MS) {
    lastWindow = current.utilization;
    windowStart = performance.eventLoopUtilization();
    return lastWindow;
  }
  // A window a few ms old says little yet.
  return elapsed >= WINDOW_MS / 5 ? Math.max(lastWindow, current.utilization) : lastWindow;
}

/** One topic's pacing: how long its next hand-over waits, from what its last ones cost. */
export class HandOverPacer {
  /** When the last hand-over ended (performance.now(), ms). */
  private handedAt = 0;
  /** Duration of a hand-over, ms, averaged. */
  private averageMs = 0;

  constructor(
    /** How busy the event loop is, 0–1 (tests set it). */
    private readonly busy: () => number = loopUtilization,
  ) {}

  /** Milliseconds the next hand-over waits; 0: at the end of this turn. */
  pause(): number {
    const wait = Math.min(MAX_MERGE_MS, this.handedAt + PACE * this.averageMs - performance.now());
    return wait >= 1 && this.busy() >= BUSY ? wait : 0;
  }

  /** A hand-over that took `ms` has just ended. */
  handedOver(ms: number): void {
    this.averageMs += SMOOTHING * (ms - this.averageMs);
    this.handedAt = performance.now();
  }
}
