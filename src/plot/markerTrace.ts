/**
 * Flagged points drawn as markers over the series (anomalies, late records): sparse, so kept as sorted arrays, at
 * most `capacity` of them (the oldest go), and never left of the chart's live edge.
 */
import type { TraceUpdate } from '../../protocol/messages';

export class MarkerTrace {
  private xs: number[] = [];
  private ys: number[] = [];
  private texts: string[] = [];
  private dirtyFrom = Infinity;
  private cut = -Infinity;
  private sentCut = -Infinity;
  evicted = 0;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly capacity: number,
  ) {}

  get size(): number {
    return this.xs.length;
  }

  add(x: number, y: number, text: string): void {
    if (x < this.cut) return;
    // Binary search for the insertion point: markers mostly arrive in order, so this is usually the end.
    let lo = 0;
    let hi = this.xs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.xs[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    this.xs.splice(lo, 0, x);
    this.ys.splice(lo, 0, y);
    this.texts.splice(lo, 0, text);
    if (x < this.dirtyFrom) this.dirtyFrom = x;
    if (this.xs.length > this.capacity) {
      const drop = this.xs.length - this.capacity;
      this.xs.splice(0, drop);
      this.ys.splice(0, drop);
      this.texts.splice(0, drop);
      this.evicted += drop;
      this.cut = Math.max(this.cut, this.xs[0]!);
    }
  }

  evictBelow(cutoff: number): void {
    if (!(cutoff > this.cut)) return;
    this.cut = cutoff;
    let n = 0;
    while (n < this.xs.length && this.xs[n]! < cutoff) n++;
    if (n === 0) return;
    this.xs.splice(0, n);
    this.ys.splice(0, n);
    this.texts.splice(0, n);
    this.evicted += n;
  }

  clear(): void {
    this.xs = [];
    this.ys = [];
    this.texts = [];
    this.dirtyFrom = -Infinity;
  }

  invalidate(): void {
    this.dirtyFrom = -Infinity;
    this.sentCut = NaN;
  }

  takeUpdate(): TraceUpdate | undefined {
    const cutChanged = this.cut !== this.sentCut;
    if (this.dirtyFrom === Infinity && !cutChanged) return undefined;
    const from = this.dirtyFrom;
    this.dirtyFrom = Infinity;
    this.sentCut = this.cut;
    let i = 0;
    if (from !== -Infinity) while (i < this.xs.length && this.xs[i]! < from) i++;
    const base = { id: this.id, name: this.name, role: 'marker' as const, xMin: Number.isFinite(this.cut) ? this.cut : undefined };
    const points = { x: this.xs.slice(i), y: this.ys.slice(i), text: this.texts.slice(i) };
    if (from === -Infinity) return { ...base, mode: 'replace', ...points };
    return { ...base, mode: 'tail', from: from === Infinity ? undefined : from, ...points };
  }

  points(): { x: number[]; y: number[]; text: string[] } {
    return { x: [...this.xs], y: [...this.ys], text: [...this.texts] };
  }
}
