/**
 * Fixed-window counters for rate limits and failed-attempt limits, shared by every instance when
 * the backend is shared (Redis), so a limit holds across a deployment rather than per instance.
 */
export interface WindowCounters {
  /** Counts one more hit of `key` in its current window; the window starts with the first hit. */
  increment(key: string, windowMs: number): Promise<WindowCount>;
  /** The current count without adding to it (0 when the window is over). */
  peek(key: string): Promise<WindowCount>;
  /** Takes one hit back, within the current window only (a try counted first that turned out fine). */
  forgive(key: string): Promise<void>;
}

export interface WindowCount {
  readonly count: number;
  /** Until the window ends. */
  readonly ttlMs: number;
}
