/**
 * Per-bucket first / min / max / last of a trace, kept incrementally: Deephaven's per-pixel downsampling and
 * plotly-resampler's MinMax idea, but updated point by point so that a frame only carries the buckets that changed.
 * Buckets are a fixed grid on x ([k·w, (k+1)·w)), so every point's bucket is known without a search, and a bucket
 * of width 2w is exactly two buckets of width w: when the trace's range outgrows the grid, pairs merge, nothing is
 * recomputed. A bucket shows at most four points, so a million points on 400 buckets draw as at most 1600.
 */

export interface Bucket {
  n: number;
  /** First and last by x (ties: arrival order), lowest and highest y (ties: the first seen). */
  fx: number;
  fy: number;
  lx: number;
  ly: number;
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export function bucketOf(x: number, y: number): Bucket {
  return { n: 1, fx: x, fy: y, lx: x, ly: y, minX: x, minY: y, maxX: x, maxY: y };
}

export function addToBucket(b: Bucket, x: number, y: number): void {
  b.n++;
  if (x < b.fx) {
    b.fx = x;
    b.fy = y;
  }
  if (x >= b.lx) {
    b.lx = x;
    b.ly = y;
  }
  if (y < b.minY) {
    b.minY = y;
    b.minX = x;
  }
  if (y > b.maxY) {
    b.maxY = y;
    b.maxX = x;
  }
}

/** `into` absorbs `other`, which holds points of larger x (the right half of a merged pair). */
function mergeRight(into: Bucket, other: Bucket): void {
  into.n += other.n;
  if (other.lx >= into.lx) {
    into.lx = other.lx;
    into.ly = other.ly;
  }
  if (other.fx < into.fx) {
    into.fx = other.fx;
    into.fy = other.fy;
  }
  if (other.minY < into.minY) {
    into.minY = other.minY;
    into.minX = other.minX;
  }
  if (other.maxY > into.maxY) {
    into.maxY = other.maxY;
    into.maxX = other.maxX;
  }
}

/** The distinct points a bucket shows, in x order (one to four). */
export function bucketPoints(b: Bucket, xs: number[], ys: number[]): number {
  const px = [b.fx, b.minX, b.maxX, b.lx];
  const py = [b.fy, b.minY, b.maxY, b.ly];
  // Insertion sort of four by x; the first stays first and the last stays last on ties.
  for (let i = 1; i < 4; i++) {
    for (let j = i; j > 0 && px[j]! < px[j - 1]!; j--) {
      [px[j], px[j - 1]] = [px[j - 1]!, px[j]!];
      [py[j], py[j - 1]] = [py[j - 1]!, py[j]!];
    }
  }
  let added = 0;
  for (let i = 0; i < 4; i++) {
    let seen = false;
    for (let j = 0; j < i; j++) if (px[j] === px[i] && py[j] === py[i]) seen = true;
    if (seen) continue;
    xs.push(px[i]!);
    ys.push(py[i]!);
    added++;
  }
  return added;
}

export class MinMaxGrid {
  /** Bucket width in x units; 0 until chosen. */
  width = 0;
  private base = 0;
  private buckets: (Bucket | undefined)[] = [];
  /** Lowest bucket index changed since the last take(); Infinity when none. */
  dirtyFrom = Infinity;
  /** The grid changed shape (width, clear): the next frame must replace the trace. */
  reshaped = false;

  /** Buckets to aim for across the trace's range: it holds between `target` and 2·`target` once it fills. */
  constructor(readonly target: number) {
    if (!Number.isInteger(target) || target < 1) throw new RangeError(`bucket target must be a positive integer, got ${target}`);
  }

  get empty(): boolean {
    return this.buckets.length === 0;
  }

  /** Index of the lowest bucket held (undefined when empty). */
  get lowIndex(): number | undefined {
    return this.buckets.length ? this.base : undefined;
  }

  setWidth(width: number): void {
    if (!(width > 0) || !Number.isFinite(width)) throw new RangeError(`bucket width must be a positive number, got ${width}`);
    this.width = width;
    this.buckets = [];
    this.base = 0;
    this.reshaped = true;
    this.dirtyFrom = Infinity;
  }

  add(x: number, y: number): void {
    let k = Math.floor(x / this.width);
    // Widen before inserting, so that a point far from the rest never allocates the buckets between them.
    while (this.buckets.length > 0 && Math.max(k, this.base + this.buckets.length - 1) - Math.min(k, this.base) + 1 > 2 * this.target) {
      this.double();
      k = Math.floor(x / this.width);
    }
    if (this.buckets.length === 0) {
      this.base = k;
      this.buckets.push(bucketOf(x, y));
    } else if (k < this.base) {
      const pad = this.base - k;
      this.buckets.unshift(bucketOf(x, y), ...new Array<Bucket | undefined>(pad - 1));
      this.base = k;
    } else {
      const i = k - this.base;
      if (i >= this.buckets.length) this.buckets.length = i + 1;
      const b = this.buckets[i];
      if (b) addToBucket(b, x, y);
      else this.buckets[i] = bucketOf(x, y);
    }
    if (k < this.dirtyFrom) this.dirtyFrom = k;
  }

  /** Drops every bucket below index k (their points left the trace). */
  dropBelow(k: number): void {
    if (this.buckets.length === 0 || k <= this.base) return;
    const n = Math.min(this.buckets.length, k - this.base);
    this.buckets.splice(0, n);
    this.base += n;
    while (this.buckets.length > 0 && this.buckets[0] === undefined) {
      this.buckets.shift();
      this.base++;
    }
    if (this.buckets.length === 0) this.base = 0;
  }

  clear(): void {
    this.buckets = [];
    this.base = 0;
    this.dirtyFrom = Infinity;
    this.reshaped = true;
  }

  /** The points of buckets from index k on, in x order; returns how many. */
  pointsFrom(k: number, xs: number[], ys: number[]): number {
    let added = 0;
    for (let i = Math.max(0, k - this.base); i < this.buckets.length; i++) {
      const b = this.buckets[i];
      if (b) added += bucketPoints(b, xs, ys);
    }
    return added;
  }

  /**
   * The points of all buckets merged in aligned groups, so that at most `buckets` + 1 remain: a coarser grid of the
   * same kind (first/min/max/last stay exact, merging is), in time proportional to the buckets, not the points.
   */
  coarsened(buckets: number, xs: number[], ys: number[]): number {
    const group = Math.max(1, Math.ceil(this.buckets.length / Math.max(1, buckets)));
    let added = 0;
    let current: Bucket | undefined;
    let currentIndex = NaN;
    for (let i = 0; i < this.buckets.length; i++) {
      const b = this.buckets[i];
      if (!b) continue;
      const k = Math.floor((this.base + i) / group);
      if (current && k === currentIndex) {
        mergeRight(current, b);
        continue;
      }
      if (current) added += bucketPoints(current, xs, ys);
      current = { ...b };
      currentIndex = k;
    }
    if (current) added += bucketPoints(current, xs, ys);
    return added;
  }

  /** Points all buckets show. */
  shownCount(): number {
    let count = 0;
    const xs: number[] = [];
    const ys: number[] = [];
    for (const b of this.buckets) {
      if (!b) continue;
      xs.length = 0;
      ys.length = 0;
      count += b.n <= 1 ? 1 : bucketPoints(b, xs, ys);
    }
    return count;
  }

  /** Points summarised by the buckets. */
  pointCount(): number {
    let n = 0;
    for (const b of this.buckets) if (b) n += b.n;
    return n;
  }

  /** Marks what was changed as sent. */
  taken(): void {
    this.dirtyFrom = Infinity;
    this.reshaped = false;
  }

  /** Pairs merge into buckets of twice the width: exact, since the grid is anchored at x = 0. */
  private double(): void {
    const newBase = Math.floor(this.base / 2);
    const merged: (Bucket | undefined)[] = [];
    for (let i = 0; i < this.buckets.length; i++) {
      const b = this.buckets[i];
      if (!b) continue;
      const j = Math.floor((this.base + i) / 2) - newBase;
      const into = merged[j];
      if (into) mergeRight(into, b);
      else merged[j] = { ...b };
    }
    this.buckets = merged;
    this.base = newBase;
    this.width *= 2;
    this.reshaped = true;
  }
}

/**
 * First / min / max / last per bucket of [from, to] in `buckets` equal parts, from points in any order: for zoomed
 * views and static frames, computed from the raw points rather than the live grid.
 */
export function decimateRange(forEach: (visit: (x: number, y: number) => void) => void, from: number, to: number, buckets: number): { x: number[]; y: number[] } {
  const width = (to - from) / buckets;
  const grid: (Bucket | undefined)[] = new Array(buckets);
  forEach((x, y) => {
    if (!(x >= from && x <= to)) return;
    const k = Math.min(buckets - 1, width > 0 ? Math.floor((x - from) / width) : 0);
    const b = grid[k];
    if (b) addToBucket(b, x, y);
    else grid[k] = bucketOf(x, y);
  });
  const xs: number[] = [];
  const ys: number[] = [];
  for (const b of grid) if (b) bucketPoints(b, xs, ys);
  return { x: xs, y: ys };
}
