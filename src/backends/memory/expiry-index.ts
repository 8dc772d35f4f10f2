/** What the index orders: a hold with its expiry, and the slot the index keeps it in. */
export interface Expiring {
  /** Epoch ms; set for as long as the hold is in the index. */
  readonly expiresAt?: number;
  /** The hold's position in the index's heap; undefined when not indexed. Only the index writes it. */
  slot?: number;
}

/**
 * A schedule's holds by expiry: a binary min-heap keyed by `expiresAt` that knows each hold's
 * slot, so a hold ending early (released, reserved, imported) leaves at once in O(log n). Stale
 * entries never exist, so the index holds exactly the live holds and needs no compaction.
 * Finding the due holds reads the top only: a mutation costs O(log n) per due hold, not a scan.
 */
export class ExpiryIndex<T extends Expiring> {
  private readonly heap: T[] = [];

  get size(): number {
    return this.heap.length;
  }

  add(item: T): void {
    this.place(item, this.heap.length);
    this.up(item.slot!);
  }

  /** Takes the item out; false when it was not in the index. */
  delete(item: T): boolean {
    const slot = item.slot;
    if (slot === undefined) return false;
    item.slot = undefined;
    const last = this.heap.pop()!;
    if (last !== item) {
      this.place(last, slot);
      this.down(slot);
      this.up(last.slot!);
    }
    return true;
  }

  /** Takes out every item due at `now` (expiresAt ≤ now), earliest first. */
  takeDue(now: number): T[] {
    const due: T[] = [];
    while (this.heap.length > 0 && this.heap[0]!.expiresAt! <= now) {
      const top = this.heap[0]!;
      this.delete(top);
      due.push(top);
    }
    return due;
  }

  /**
   * Every item due by `limit`, left in place, in no particular order. A heap's item expires no
   * earlier than its parent, so the walk stops at the first later one on each path: it reads the
   * items found and at most twice as many others.
   */
  upTo(limit: number): T[] {
    const found: T[] = [];
    const slots = this.heap.length > 0 ? [0] : [];
    for (let slot = slots.pop(); slot !== undefined; slot = slots.pop()) {
      const item = this.heap[slot]!;
      if (item.expiresAt! > limit) continue;
      found.push(item);
      for (const child of [2 * slot + 1, 2 * slot + 2]) if (child < this.heap.length) slots.push(child);
    }
    return found;
  }

  private place(item: T, slot: number): void {
    this.heap[slot] = item;
    item.slot = slot;
  }

  /** Whether slot i's item expires before slot j's: the heap's one comparison. */
  private before(i: number, j: number): boolean {
    return this.heap[i]!.expiresAt! < this.heap[j]!.expiresAt!;
  }

  private swap(i: number, j: number): void {
    const item = this.heap[i]!;
    this.place(this.heap[j]!, i);
    this.place(item, j);
  }

  private up(slot: number): void {
    for (let i = slot; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(slot: number): void {
    for (let i = slot; ; ) {
      const left = 2 * i + 1;
      if (left >= this.heap.length) return;
      const child = left + 1 < this.heap.length && this.before(left + 1, left) ? left + 1 : left;
      if (!this.before(child, i)) return;
      this.swap(i, child);
      i = child;
    }
  }
}
