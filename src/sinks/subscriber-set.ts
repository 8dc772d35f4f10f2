import type { Subscriber } from 'rxjs';

const NONE: readonly never[] = Object.freeze([]);

/**
 * The current subscribers of a multicast sink.
 *
 * A Set gives O(1) add/remove (thousands of SSE clients come and go), and
 * the array handed to emitters is cached until membership changes, so an
 * emission walks a plain array with no allocation. A delivery loop keeps the
 * array it started with: subscribers added or removed by a subscriber's own
 * callback only affect the next emission (copy-on-write).
 */
export class SubscriberSet<T> {
  private readonly members = new Set<Subscriber<T>>();
  private cached: readonly Subscriber<T>[] | null = NONE;

  get size(): number {
    return this.members.size;
  }

  add(subscriber: Subscriber<T>): void {
    this.members.add(subscriber);
    this.cached = null;
  }

  /** Returns false when the subscriber was not (or no longer) a member. */
  delete(subscriber: Subscriber<T>): boolean {
    if (!this.members.delete(subscriber)) return false;
    this.cached = null;
    return true;
  }

  snapshot(): readonly Subscriber<T>[] {
    return this.cached ?? (this.cached = Array.from(this.members));
  }

  /** Empties the set and returns who was in it (used when the sink terminates). */
  takeAll(): readonly Subscriber<T>[] {
    const all = this.snapshot();
    this.members.clear();
    this.cached = NONE;
    return all;
  }
}
