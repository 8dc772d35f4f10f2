/**
 * FIFO ring buffer: O(1) push/shift without the O(n) cost of
 * `Array.prototype.shift`, and no allocation until it has to grow.
 * Capacity bounds are the caller's business.
 */
export class ArrayQueue<T> {
  private items: (T | undefined)[] = new Array<T | undefined>(8);
  private head = 0;
  private length = 0;

  get size(): number {
    return this.length;
  }

  push(value: T): void {
    if (this.length === this.items.length) this.grow();
    this.items[(this.head + this.length) & (this.items.length - 1)] = value;
    this.length++;
  }

  /** Removes and returns the oldest item; call only when `size > 0`. */
  shift(): T {
    const value = this.items[this.head] as T;
    this.items[this.head] = undefined; // let it be collected
    this.head = (this.head + 1) & (this.items.length - 1);
    this.length--;
    return value;
  }

  /** The item `index` positions after the oldest; `0 <= index < size`. */
  at(index: number): T {
    return this.items[(this.head + index) & (this.items.length - 1)] as T;
  }

  clear(): void {
    this.items = new Array<T | undefined>(8);
    this.head = 0;
    this.length = 0;
  }

  private grow(): void {
    // Capacity stays a power of two so `& (capacity - 1)` wraps indexes.
    const old = this.items;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.length; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.items = next;
    this.head = 0;
  }
}
