/**
 * Streaming quantiles with a proven relative error: DDSketch (Masson, Rim, Lee, VLDB 2019).
 *
 * Hand-written rather than @datadog/sketches-js (the well-kept reference implementation, no dependencies),
 * because new packages cannot be installed in this project right now; this file is a candidate for replacement.
 * It is small: values fall into logarithmic buckets, so every value in a bucket is within `relativeAccuracy`
 * of the bucket's representative.
 *
 * Guarantee: quantile(q) is within relativeAccuracy * |x| of x, the exact value at sorted index
 * floor(q * (n - 1)) (the lower nearest rank), as long as the bucket range has not been collapsed. Up to
 * EXACT_VALUES values it is exact: small windows keep their values and sort them when asked. Values with
 * |x| below MIN_INDEXABLE count as 0. Memory is at most 2 * maxBuckets counters per sketch (8 bytes each; by
 * default enough buckets for magnitudes spanning 18 orders, 2073 per sign at 1 %); past that span the lowest
 * magnitudes collapse into one bucket and lose their guarantee first. Buckets are allocated as values need them.
 */
export const MIN_INDEXABLE = 1e-9;

/** Magnitudes the default bucket range covers before it collapses: 18 decades, whatever the accuracy. */
const DEFAULT_RANGE = 1e18;

export class SketchConfig {
  readonly gamma: number;
  readonly logGamma: number;
  /** Representative value of bucket i is base^i * valueFactor, the point of equal relative error to both edges. */
  readonly valueFactor: number;
  /** Most buckets per sign; 2073 at 1 %. */
  readonly maxBuckets: number;

  constructor(
    readonly relativeAccuracy = 0.01,
    maxBuckets?: number,
  ) {
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) throw new RangeError(`relative accuracy must be in (0, 1), got ${relativeAccuracy}`);
    this.gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
    this.logGamma = Math.log(this.gamma);
    this.valueFactor = 2 / (1 + this.gamma);
    this.maxBuckets = maxBuckets ?? Math.ceil(Math.log(DEFAULT_RANGE) / this.logGamma);
  }

  index(magnitude: number): number {
    return Math.ceil(Math.log(magnitude) / this.logGamma);
  }

  value(index: number): number {
    return Math.exp(index * this.logGamma) * this.valueFactor;
  }
}

/** Counts per bucket index over a contiguous range; collapses its lowest buckets to stay within maxBuckets. */
class BucketCounts {
  counts = new Float64Array(0);
  /** Bucket index held at counts[0]. */
  offset = 0;
  lo = 0;
  hi = -1;
  total = 0;

  constructor(private readonly maxBuckets: number) {}

  add(index: number, weight: number): void {
    if (this.hi < this.lo) {
      if (this.counts.length === 0) this.counts = new Float64Array(Math.min(32, this.maxBuckets));
      this.offset = index - (this.counts.length >> 1);
      this.lo = this.hi = index;
    } else if (index < this.lo || index > this.hi) {
      index = this.extend(index);
    }
    this.counts[index - this.offset]! += weight;
    this.total += weight;
  }

  /** Widens the range to take `index`; returns the index to count it under (clamped when collapsing). */
  private extend(index: number): number {
    let lo = Math.min(this.lo, index);
    const hi = Math.max(this.hi, index);
    if (hi - lo + 1 > this.maxBuckets) {
      lo = hi - this.maxBuckets + 1;
      if (index < lo) index = lo;
    }
    if (lo >= this.offset && hi < this.offset + this.counts.length) {
      this.foldBelow(lo);
      this.lo = lo;
      this.hi = hi;
      return index;
    }
    const span = hi - lo + 1;
    // Room to spare on the side that grew, where the next values most likely land: growth stays amortised.
    const capacity = Math.min(this.maxBuckets, Math.max(span + (span >> 1) + 8, this.counts.length * 2));
    const counts = new Float64Array(capacity);
    const offset = index >= this.hi ? lo : hi - capacity + 1;
    for (let i = this.lo; i <= this.hi; i++) {
      const c = this.counts[i - this.offset]!;
      if (c !== 0) counts[Math.max(i, lo) - offset]! += c;
    }
    this.counts = counts;
    this.offset = offset;
    this.lo = lo;
    this.hi = hi;
    return index;
  }

  private foldBelow(lo: number): void {
    if (lo <= this.lo) return;
    let folded = 0;
    for (let i = this.lo; i < lo; i++) {
      folded += this.counts[i - this.offset]!;
      this.counts[i - this.offset] = 0;
    }
    this.counts[lo - this.offset]! += folded;
  }

  countAt(index: number): number {
    return this.counts[index - this.offset]!;
  }
}

/** Values kept exactly before a sketch switches to buckets: most windows are small, and exact is both cheaper and better. */
export const EXACT_VALUES = 128;

export class QuantileSketch {
  /** Exact values while there are at most EXACT_VALUES; null once the sketch has switched to buckets. */
  private exact: Float64Array | null = new Float64Array(16);
  private positive: BucketCounts | null = null;
  private negative: BucketCounts | null = null;
  private zeros = 0;
  count = 0;
  min = Infinity;
  max = -Infinity;

  constructor(private readonly config: SketchConfig) {}

  /** True while every value is kept, so quantiles are exact. */
  get isExact(): boolean {
    return this.exact !== null;
  }

  add(value: number): void {
    const exact = this.exact;
    if (exact !== null) {
      if (this.count < exact.length) exact[this.count] = value;
      else if (this.count < EXACT_VALUES) {
        this.exact = new Float64Array(Math.min(EXACT_VALUES, exact.length * 2));
        this.exact.set(exact);
        this.exact[this.count] = value;
      } else {
        this.toBuckets();
        this.addToBuckets(value, 1);
      }
    } else {
      this.addToBuckets(value, 1);
    }
    this.count++;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  private addToBuckets(value: number, weight: number): void {
    if (value > MIN_INDEXABLE) this.positive!.add(this.config.index(value), weight);
    else if (value < -MIN_INDEXABLE) this.negative!.add(this.config.index(-value), weight);
    else this.zeros += weight;
  }

  private toBuckets(): void {
    const values = this.exact!;
    const n = Math.min(this.count, values.length);
    this.exact = null;
    this.positive = new BucketCounts(this.config.maxBuckets);
    this.negative = new BucketCounts(this.config.maxBuckets);
    for (let i = 0; i < n; i++) this.addToBuckets(values[i]!, 1);
  }

  merge(other: QuantileSketch): void {
    if (other.exact !== null) {
      for (let i = 0; i < other.count; i++) this.add(other.exact[i]!);
      return;
    }
    if (this.exact !== null) this.toBuckets();
    for (const [mine, theirs] of [
      [this.positive!, other.positive!],
      [this.negative!, other.negative!],
    ] as const) {
      for (let i = theirs.lo; i <= theirs.hi; i++) {
        const c = theirs.countAt(i);
        if (c !== 0) mine.add(i, c);
      }
    }
    this.zeros += other.zeros;
    this.count += other.count;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  /** The value at quantile q in [0, 1] (lower nearest rank, floor(q * (n - 1))); NaN for an empty sketch. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    if (q <= 0) return this.min;
    if (q >= 1) return this.max;
    const rank = q * (this.count - 1);
    if (this.exact !== null) return select(this.exact, this.count, Math.floor(rank));
    let seen = 0;
    // Ascending values: most negative first (highest magnitude index), then zeros, then positives.
    const neg = this.negative!;
    for (let i = neg.hi; i >= neg.lo; i--) {
      seen += neg.countAt(i);
      if (seen > rank) return this.clamp(-this.config.value(i));
    }
    seen += this.zeros;
    if (seen > rank) return this.clamp(0);
    const pos = this.positive!;
    for (let i = pos.lo; i <= pos.hi; i++) {
      seen += pos.countAt(i);
      if (seen > rank) return this.clamp(this.config.value(i));
    }
    return this.max;
  }

  private clamp(v: number): number {
    return v < this.min ? this.min : v > this.max ? this.max : v;
  }
}

/**
 * The k-th smallest of values[0..n) by quickselect (Hoare), reordering them in place: O(n), where sorting a
 * window's values at every close would be O(n log n). Order does not matter to a multiset, so no copy is made.
 */
function select(values: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k]!;
  }
  return values[k]!;
}
