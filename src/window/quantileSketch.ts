/**
 * Streaming quantiles with a relative-error guarantee: exact for small windows, then DDSketch (Masson, Rim, Lee,
 * VLDB 2019) from @datadog/sketches-js, with its collapsing store so memory stays bounded on any data.
 *
 * Guarantee: quantile(q) is within relativeAccuracy * |x| of x, the exact value at sorted index
 * floor(q * (n - 1)) (the lower nearest rank, which is also the library's rank rule), as long as the sketch has
 * not collapsed (below). q = 0 and q = 1 give the exact min and max, and every answer lies within [min, max].
 * Up to EXACT_VALUES values it is exact: small windows keep their values and select the rank when asked (the
 * library answers with a bucket's representative even for one value). Past that the values go into the
 * library's LogCollapsingLowestDenseDDSketch: logarithmic buckets, one store per sign plus a zero count (only
 * |x| up to about 1.1e-308 counts as 0). Memory is at most 2 * binLimit counters per sketch; by default
 * binLimit covers magnitudes spanning 18 decades (2073 buckets per sign at 1 %, 20724 at 0.1 %), capped at
 * MAX_BIN_LIMIT (so fewer decades below an accuracy of about 0.063 %). Past that span the lowest magnitudes of a sign collapse into its lowest
 * bucket and lose their guarantee first; the higher ones keep it. A store grows in chunks as values need it.
 *
 * Two defects of @datadog/sketches-js 2.1.1 are worked around here, each guarded so that a fixed version is
 * left alone (the tests check both): merge() skips the negative store (DataDog/sketches-js#22), and the
 * collapsing store counts its new lowest bucket twice on every collapse (its sumOfRange includes the end index).
 */
import { LogCollapsingLowestDenseDDSketch } from '@datadog/sketches-js';

/** Values kept exactly before a sketch switches to DDSketch: most windows are small, and exact is both cheaper and better. */
export const EXACT_VALUES = 128;

/** Magnitudes the default bin limit covers before the lowest collapse: 18 decades (up to MAX_BIN_LIMIT). */
const DEFAULT_RANGE = 1e18;

/**
 * Most buckets per sign, whatever the accuracy: the library grows and shifts its stores with
 * Function.prototype.apply, which overflows the stack on arrays of about 150,000.
 */
export const MAX_BIN_LIMIT = 32_768;

/** Buckets per sign that cover DEFAULT_RANGE at this accuracy (the library's gamma is (1 + a) / (1 - a)). */
export function defaultBinLimit(relativeAccuracy: number): number {
  const logGamma = Math.log1p((2 * relativeAccuracy) / (1 - relativeAccuracy));
  return Math.min(MAX_BIN_LIMIT, Math.ceil(Math.log(DEFAULT_RANGE) / logGamma));
}

/** The fields of the library's CollapsingLowestDenseStore (all public in its typings) the repair below reads. */
interface CollapsingStore {
  bins: number[];
  count: number;
  minKey: number;
  maxKey: number;
  offset: number;
  isCollapsed?: boolean;
}

/**
 * Sets a collapsed store's lowest bucket to the count its other buckets leave, which is what it holds when the
 * library counts right: a collapse in 2.1.1 adds the new lowest bucket to itself. O(binLimit), once per collapse.
 */
function repairCollapsed(store: CollapsingStore): void {
  if (!store.isCollapsed || store.count === 0) return;
  const lowest = store.minKey - store.offset;
  let rest = 0;
  for (let i = lowest + 1, end = store.maxKey - store.offset; i <= end; i++) rest += store.bins[i]!;
  store.bins[lowest] = store.count - rest;
}

export class QuantileSketch {
  /** Exact values while there are at most EXACT_VALUES; null once the sketch has switched to DDSketch. */
  private exact: Float64Array | null = new Float64Array(16);
  private sketch: LogCollapsingLowestDenseDDSketch | null = null;
  readonly binLimit: number;
  count = 0;
  min = Infinity;
  max = -Infinity;

  constructor(
    readonly relativeAccuracy = 0.01,
    binLimit?: number,
  ) {
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) throw new RangeError(`relative accuracy must be in (0, 1), got ${relativeAccuracy}`);
    this.binLimit = binLimit ?? defaultBinLimit(relativeAccuracy);
    if (!(Number.isInteger(this.binLimit) && this.binLimit > 0 && this.binLimit <= MAX_BIN_LIMIT)) {
      throw new RangeError(`bin limit must be an integer in [1, ${MAX_BIN_LIMIT}], got ${this.binLimit}`);
    }
  }

  /** True while every value is kept, so quantiles are exact. */
  get isExact(): boolean {
    return this.exact !== null;
  }

  add(value: number): void {
    const exact = this.exact;
    if (exact === null) this.accept(this.sketch!, value);
    else if (this.count < exact.length) exact[this.count] = value;
    else if (this.count < EXACT_VALUES) {
      this.exact = new Float64Array(Math.min(EXACT_VALUES, exact.length * 2));
      this.exact.set(exact);
      this.exact[this.count] = value;
    } else {
      this.accept(this.toSketch(), value);
    }
    this.count++;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  private accept(sketch: LogCollapsingLowestDenseDDSketch, value: number): void {
    const store: CollapsingStore = value > 0 ? sketch.store : sketch.negativeStore;
    const lowest = store.minKey;
    sketch.accept(value);
    // The lowest key of a store only ever rises when it collapses.
    if (store.minKey > lowest) repairCollapsed(store);
  }

  private toSketch(): LogCollapsingLowestDenseDDSketch {
    const sketch = new LogCollapsingLowestDenseDDSketch({ relativeAccuracy: this.relativeAccuracy, binLimit: this.binLimit });
    const values = this.exact!;
    for (let i = 0; i < this.count; i++) this.accept(sketch, values[i]!);
    this.exact = null;
    this.sketch = sketch;
    return sketch;
  }

  merge(other: QuantileSketch): void {
    if (other.exact !== null) {
      for (let i = 0; i < other.count; i++) this.add(other.exact[i]!);
      return;
    }
    const mine = this.sketch ?? this.toSketch();
    const theirs = other.sketch!;
    const negatives = mine.negativeStore.count + theirs.negativeStore.count;
    mine.merge(theirs);
    // 2.1.1 merges only the positive store into a non-empty sketch: merge the negative one unless it did.
    if (mine.negativeStore.count !== negatives) mine.negativeStore.merge(theirs.negativeStore);
    repairCollapsed(mine.store);
    repairCollapsed(mine.negativeStore);
    this.count += other.count;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  /** The value at quantile q in [0, 1] (lower nearest rank, floor(q * (n - 1))); NaN for an empty sketch. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    if (q <= 0) return this.min;
    if (q >= 1) return this.max;
    if (this.exact !== null) return select(this.exact, this.count, Math.floor(q * (this.count - 1)));
    const v = this.sketch!.getValueAtQuantile(q);
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
