import type { WindowCount, WindowCounters } from '../../auth/counters.js';

/** Window counters of this process; ended windows are dropped as new ones start. */
export class MemoryCounters implements WindowCounters {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();
  private nextSweep = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  async increment(key: string, windowMs: number): Promise<WindowCount> {
    const now = this.clock();
    this.sweep(now);
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { count: 0, endsAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count++;
    return { count: window.count, ttlMs: window.endsAt - now };
  }

  async peek(key: string): Promise<WindowCount> {
    const now = this.clock();
    const window = this.windows.get(key);
    return !window || window.endsAt <= now
      ? { count: 0, ttlMs: 0 }
      : { count: window.count, ttlMs: window.endsAt - now };
  }

  async forgive(key: string): Promise<void> {
    const window = this.windows.get(key);
    if (window && window.endsAt > this.clock() && window.count > 0) window.count--;
  }

  /** At most once a second, so a flood of distinct keys costs one pass per second, not per hit. */
  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + 1_000;
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
  }
}
