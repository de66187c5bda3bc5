/**
 * The raw points of one trace, in arrival order, in two growable Float64Arrays: a million points cost 16 MB and
 * no objects. Bounded by a capacity; the oldest arrivals go first. Zoomed views and static frames are decimated
 * from here, so the kernel can always show any part of what it retains at full resolution.
 */
const INITIAL = 1024;

export class PointRing {
  private xs = new Float64Array(INITIAL);
  private ys = new Float64Array(INITIAL);
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`point capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  /** Appends; the caller evicts first when full (push on a full ring overwrites the oldest). */
  push(x: number, y: number): void {
    if (this.count === this.xs.length && this.xs.length < this.capacity) this.grow();
    const slots = this.xs.length;
    const at = (this.head + this.count) % slots;
    this.xs[at] = x;
    this.ys[at] = y;
    if (this.count < slots) this.count++;
    else this.head = (this.head + 1) % slots;
  }

  /** The oldest arrival's x (NaN when empty). */
  headX(): number {
    return this.count === 0 ? NaN : this.xs[this.head]!;
  }

  /** The oldest arrival's y (NaN when empty). */
  headY(): number {
    return this.count === 0 ? NaN : this.ys[this.head]!;
  }

  /** Drops the oldest arrival. */
  shift(): void {
    if (this.count === 0) return;
    this.head = (this.head + 1) % this.xs.length;
    this.count--;
  }

  /** Visits every point, oldest arrival first. */
  forEach(visit: (x: number, y: number) => void): void {
    const slots = this.xs.length;
    for (let i = 0; i < this.count; i++) {
      const at = (this.head + i) % slots;
      visit(this.xs[at]!, this.ys[at]!);
    }
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
    if (this.xs.length > INITIAL) {
      this.xs = new Float64Array(INITIAL);
      this.ys = new Float64Array(INITIAL);
    }
  }

  /** Bytes held by the arrays (what %streams reports). */
  get bytes(): number {
    return this.xs.byteLength + this.ys.byteLength;
  }

  private grow(): void {
    const size = Math.min(this.capacity, this.xs.length * 2);
    const xs = new Float64Array(size);
    const ys = new Float64Array(size);
    const slots = this.xs.length;
    for (let i = 0; i < this.count; i++) {
      const at = (this.head + i) % slots;
      xs[i] = this.xs[at]!;
      ys[i] = this.ys[at]!;
    }
    this.xs = xs;
    this.ys = ys;
    this.head = 0;
  }
}
