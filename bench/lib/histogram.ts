/** Log-scale latency histogram (≈1% buckets from 10 µs to 100 s), mergeable across processes. */
const MIN_MS = 0.01;
const GROWTH = 1.01;
const BUCKETS = Math.ceil(Math.log(100_000 / MIN_MS) / Math.log(GROWTH)) + 1;

export class Histogram {
  readonly counts: number[];
  count = 0;

  constructor(counts?: number[]) {
    this.counts = counts ?? new Array<number>(BUCKETS).fill(0);
    this.count = this.counts.reduce((a, b) => a + b, 0);
  }

  record(ms: number): void {
    const index = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / Math.log(GROWTH)));
    this.counts[index]!++;
    this.count++;
  }

  merge(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
  }

  /** How many values were recorded above `ms` (to the bucket: about 1 %). */
  countAbove(ms: number): number {
    let above = 0;
    for (let i = BUCKETS - 1; i >= 0 && MIN_MS * GROWTH ** i > ms; i--) above += this.counts[i]!;
    return above;
  }

  /** The upper bound of the bucket holding quantile q (0..1), in ms. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    let seen = 0;
    const target = Math.ceil(q * this.count);
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= target) return MIN_MS * GROWTH ** i;
    }
    return Infinity;
  }
}
