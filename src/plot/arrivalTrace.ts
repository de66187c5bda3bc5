/**
 * A scatter of one field against another (x is not time): no order to decimate along, so the newest `capacity`
 * points are kept and the frontend appends and trims (plotly's extendTraces with a maximum).
 */
import type { TraceUpdate } from '../../protocol/messages';
import { PointRing } from './pointRing';

export class ArrivalTrace {
  private readonly ring: PointRing;
  private pendingX: number[] = [];
  private pendingY: number[] = [];
  private replace = true;
  evicted = 0;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly capacity: number,
  ) {
    this.ring = new PointRing(capacity);
  }

  get size(): number {
    return this.ring.size;
  }

  get bytes(): number {
    return this.ring.bytes;
  }

  add(x: number, y: number): void {
    if (this.ring.full) {
      this.ring.shift();
      this.evicted++;
    }
    this.ring.push(x, y);
    if (this.replace) return;
    this.pendingX.push(x);
    this.pendingY.push(y);
    // More new points than the trace keeps: a replacement is smaller than the backlog.
    if (this.pendingX.length > this.capacity) this.invalidate();
  }

  clear(): void {
    this.ring.clear();
    this.invalidate();
  }

  invalidate(): void {
    this.replace = true;
    this.pendingX = [];
    this.pendingY = [];
  }

  takeUpdate(): TraceUpdate | undefined {
    const base = { id: this.id, name: this.name, role: 'series' as const };
    if (this.replace) {
      this.replace = false;
      const x: number[] = [];
      const y: number[] = [];
      this.ring.forEach((px, py) => {
        x.push(px);
        y.push(py);
      });
      return { ...base, mode: 'replace', x, y };
    }
    if (this.pendingX.length === 0) return undefined;
    const update: TraceUpdate = { ...base, mode: 'append', keep: this.capacity, x: this.pendingX, y: this.pendingY };
    this.pendingX = [];
    this.pendingY = [];
    return update;
  }

  all(): { x: number[]; y: number[] } {
    const x: number[] = [];
    const y: number[] = [];
    this.ring.forEach((px, py) => {
      x.push(px);
      y.push(py);
    });
    return { x, y };
  }
}
