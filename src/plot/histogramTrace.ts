/**
 * The live distribution of a field over what the chart retains (a time span and/or a count): fixed bins counted
 * incrementally, with the values kept in a ring so that a value leaving the span leaves its bin too. The range only
 * grows: a value outside it doubles the bin width, merging pairs of bins exactly (the bin count is even).
 */
import type { TraceUpdate } from '../../protocol/messages';
import { PointRing } from './pointRing';

const BINS = 40;
const FIRST_VALUES = 16;

export class HistogramTrace {
  private readonly ring: PointRing;
  private counts = new Float64Array(BINS);
  private lo = NaN;
  private width = NaN;
  private pending: number[] = [];
  private changed = true;
  private viewStart = -Infinity;
  evicted = 0;

  constructor(
    readonly id: string,
    readonly name: string,
    capacity: number,
  ) {
    this.ring = new PointRing(capacity);
  }

  get size(): number {
    return this.ring.size;
  }

  get bytes(): number {
    return this.ring.bytes;
  }

  /** A value at time t. */
  add(t: number, v: number): void {
    if (this.ring.full) this.shiftOne();
    this.ring.push(t, v);
    this.changed = true;
    if (Number.isNaN(this.width)) {
      this.pending.push(v);
      if (this.pending.length >= FIRST_VALUES) this.chooseBins();
      return;
    }
    this.count(v, 1);
  }

  evictBelow(cutoff: number): void {
    if (!(cutoff > this.viewStart)) return;
    this.viewStart = cutoff;
    while (this.ring.size > 0 && this.ring.headX() < cutoff) this.shiftOne();
  }

  clear(): void {
    this.ring.clear();
    this.counts = new Float64Array(BINS);
    this.lo = NaN;
    this.width = NaN;
    this.pending = [];
    this.changed = true;
  }

  invalidate(): void {
    this.changed = true;
  }

  takeUpdate(): TraceUpdate | undefined {
    if (!this.changed) return undefined;
    this.changed = false;
    const { x, y } = this.bins();
    return { id: this.id, name: this.name, role: 'series', mode: 'replace', x, y };
  }

  /** Bin centres and counts; before the bins are chosen, one bin per distinct value seen so far. */
  bins(): { x: number[]; y: number[]; width: number } {
    if (Number.isNaN(this.width)) {
      const counts = new Map<number, number>();
      for (const v of this.pending) counts.set(v, (counts.get(v) ?? 0) + 1);
      const x = [...counts.keys()].sort((a, b) => a - b);
      return { x, y: x.map((v) => counts.get(v)!), width: 0 };
    }
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < BINS; i++) {
      x.push(this.lo + (i + 0.5) * this.width);
      y.push(this.counts[i]!);
    }
    return { x, y, width: this.width };
  }

  /** Values held, over all bins. */
  total(): number {
    let n = 0;
    for (const c of this.counts) n += c;
    return Number.isNaN(this.width) ? this.pending.length : n;
  }

  private shiftOne(): void {
    const value = this.ring.headY();
    this.ring.shift();
    this.evicted++;
    this.changed = true;
    if (Number.isNaN(this.width)) this.pending.shift();
    else this.count(value, -1);
  }

  private chooseBins(): void {
    let min = Infinity;
    let max = -Infinity;
    for (const v of this.pending) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const span = max - min;
    this.width = span > 0 ? (span * 1.1) / BINS : Math.max(Math.abs(min) * 0.1, 1) / BINS;
    this.lo = span > 0 ? min - span * 0.05 : min - (this.width * BINS) / 2;
    const values = this.pending;
    this.pending = [];
    for (const v of values) this.count(v, 1);
  }

  private count(v: number, delta: number): void {
    while (v < this.lo) this.widen(true);
    while (v >= this.lo + BINS * this.width) this.widen(false);
    const i = Math.min(BINS - 1, Math.floor((v - this.lo) / this.width));
    this.counts[i]! += delta;
  }

  /** Twice the width, keeping the old range as the right half (extending left) or the left half. */
  private widen(left: boolean): void {
    const merged = new Float64Array(BINS);
    const shift = left ? BINS : 0;
    for (let i = 0; i < BINS; i++) merged[Math.floor((i + shift) / 2)]! += this.counts[i]!;
    if (left) this.lo -= BINS * this.width;
    this.width *= 2;
    this.counts = merged;
  }
}
