/**
 * Exponential backoff with full jitter: attempt n waits a uniformly random time in
 * [0, min(capMs, baseMs · 2^(n-1))). Spreads a crowd of clients that lost their server at the
 * same moment over the whole window instead of sending them back in waves.
 */
export interface BackoffOptions {
  /** Window of the first attempt (ms). Default 1000. */
  baseMs?: number;
  /** Largest window (ms). Default 30000. */
  capMs?: number;
  /** Source of randomness in [0, 1) (tests). Default Math.random. */
  random?: () => number;
}

export class Backoff {
  readonly baseMs: number;
  readonly capMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 1000;
    this.capMs = options.capMs ?? 30_000;
    this.random = options.random ?? Math.random;
    if (!(this.baseMs > 0) || !(this.capMs >= this.baseMs)) throw new RangeError('backoff: need 0 < baseMs <= capMs');
  }

  /** The window of attempt `attempt` (1-based): min(cap, base · 2^(attempt-1)). */
  windowMs(attempt: number): number {
    return Math.min(this.capMs, this.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  }

  /** A random delay for attempt `attempt` (1-based), in whole milliseconds. */
  delayMs(attempt: number): number {
    return Math.floor(this.random() * this.windowMs(attempt));
  }
}
