/**
 * One series on an ordered x axis (time, mostly): the raw points, bounded by a point count, and their min/max grid,
 * which decides what the frontend draws. Everything left of `viewStart` is gone, in both: the grid drops whole
 * buckets and the ring drops arrivals below it, so the grid always summarises exactly the points the trace holds.
 */
import type { TraceUpdate } from '../../protocol/messages';
import { PointRing } from './pointRing';
import { MinMaxGrid, decimateRange } from './minMaxGrid';

export class LineTrace {
  private readonly ring: PointRing;
  private readonly grid: MinMaxGrid;
  /** Points with x below this are gone; -Infinity until something is evicted. */
  viewStart = -Infinity;
  minX = Infinity;
  maxX = -Infinity;
  evicted = 0;
  tooOld = 0;
  /** Changed since the last update (for the undecided-width phase, which sends raw points). */
  private changed = false;
  private sentXMin = -Infinity;

  constructor(
    readonly id: string,
    readonly name: string,
    capacity: number,
    /** Buckets across the trace's range: about half the plot's width in pixels. */
    readonly targetBuckets: number,
  ) {
    this.ring = new PointRing(capacity);
    this.grid = new MinMaxGrid(targetBuckets);
  }

  get size(): number {
    return this.ring.size;
  }

  get bytes(): number {
    return this.ring.bytes;
  }

  /** Points the grid summarises (the raw points held, when the two agree, as they must). */
  get gridPoints(): number {
    return this.grid.pointCount();
  }

  /** The grid's bucket width (0 while the trace is too short to have one). */
  get bucketWidth(): number {
    return this.grid.width;
  }

  /** Adds a point; false when it is older than what the trace still holds (counted in tooOld). */
  add(x: number, y: number): boolean {
    if (x < this.viewStart) {
      this.tooOld++;
      return false;
    }
    if (this.ring.full) this.makeRoom();
    if (x < this.viewStart) {
      this.tooOld++;
      return false;
    }
    this.ring.push(x, y);
    if (x < this.minX) this.minX = x;
    if (x > this.maxX) this.maxX = x;
    this.changed = true;
    if (this.grid.width > 0) this.grid.add(x, y);
    else this.chooseWidth();
    return true;
  }

  /** Forgets everything below `cutoff`, rounded down to a bucket edge (the time span moved on). */
  evictBelow(cutoff: number): void {
    if (!(cutoff > this.viewStart)) return;
    const w = this.grid.width;
    const start = w > 0 ? Math.floor(cutoff / w) * w : cutoff;
    if (start <= this.viewStart) return;
    this.viewStart = start;
    if (w > 0) this.grid.dropBelow(Math.round(start / w));
    this.shiftDead();
    if (this.minX < start) this.minX = start;
    this.changed = true;
  }

  clear(): void {
    this.ring.clear();
    this.grid.clear();
    this.grid.width = 0;
    this.viewStart = -Infinity;
    this.minX = Infinity;
    this.maxX = -Infinity;
    this.changed = true;
  }

  /** What changed since the last call, for a live frame; undefined when nothing did. */
  takeUpdate(): TraceUpdate | undefined {
    const xMinChanged = this.viewStart !== this.sentXMin;
    const base = { id: this.id, name: this.name, role: 'series' as const };
    const xMin = Number.isFinite(this.viewStart) ? this.viewStart : undefined;
    if (this.grid.width === 0) {
      if (!this.changed && !xMinChanged) return undefined;
      this.changed = false;
      this.sentXMin = this.viewStart;
      const { x, y } = this.rawSorted();
      return { ...base, mode: 'replace', x, y, xMin };
    }
    const reshaped = this.grid.reshaped;
    const dirty = this.grid.dirtyFrom;
    if (!reshaped && dirty === Infinity && !xMinChanged) return undefined;
    const x: number[] = [];
    const y: number[] = [];
    if (reshaped) this.grid.pointsFrom(-Infinity, x, y);
    else if (dirty !== Infinity) this.grid.pointsFrom(dirty, x, y);
    this.grid.taken();
    this.changed = false;
    this.sentXMin = this.viewStart;
    if (reshaped) return { ...base, mode: 'replace', x, y, xMin };
    return { ...base, mode: 'tail', from: dirty === Infinity ? undefined : dirty * this.grid.width, x, y, xMin };
  }

  /** The whole trace again, as the next frame must carry it (a frontend attached, or came back from a zoom). */
  invalidate(): void {
    this.grid.reshaped = true;
    this.changed = true;
    this.sentXMin = NaN;
  }

  /** Points the frontend shows for the live view. */
  shownCount(): number {
    return this.grid.width === 0 ? this.ring.size : this.grid.shownCount();
  }

  /** First/min/max/last of [from, to) in `buckets` parts, from the raw points: a zoomed view or a static frame. */
  decimated(from: number, to: number, buckets: number): { x: number[]; y: number[] } {
    const lo = Math.max(from, this.viewStart);
    return decimateRange((visit) => this.ring.forEachIn(lo, to, visit), lo, to, buckets);
  }

  /**
   * Everything the trace holds in at most about `buckets` first/min/max/last parts, for static frames: from the live
   * grid once it has a width (a few hundred buckets; a pass over a million raw points took the kernel 25 ms a trace
   * every second without the extension), else from the raw points, which are few then.
   */
  overview(buckets: number): { x: number[]; y: number[] } {
    if (this.grid.width > 0) {
      const x: number[] = [];
      const y: number[] = [];
      this.grid.coarsened(buckets, x, y);
      return { x, y };
    }
    const from = Number.isFinite(this.viewStart) ? this.viewStart : this.minX;
    return Number.isFinite(from) ? this.decimated(from, this.maxX, buckets) : { x: [], y: [] };
  }

  /** Points of the trace that lie in [from, to]. */
  countIn(from: number, to: number): number {
    let n = 0;
    this.ring.forEachIn(Math.max(from, this.viewStart), to, () => n++);
    return n;
  }

  /** The ring is full: the oldest arrival goes, and with it its whole bucket, so the grid stays exact. */
  private makeRoom(): void {
    while (this.ring.full) {
      const x0 = this.ring.headX();
      if (x0 >= this.viewStart) {
        const w = this.grid.width;
        if (w > 0) {
          this.viewStart = (Math.floor(x0 / w) + 1) * w;
          this.grid.dropBelow(Math.round(this.viewStart / w));
        } else {
          this.viewStart = x0;
        }
        this.changed = true;
      }
      this.ring.shift();
      this.evicted++;
      this.shiftDead();
    }
    if (this.minX < this.viewStart) this.minX = this.viewStart;
  }

  /** Drops arrivals at the head that are left of viewStart. */
  private shiftDead(): void {
    while (this.ring.size > 0 && this.ring.headX() < this.viewStart) {
      this.ring.shift();
      this.evicted++;
    }
  }

  /**
   * Picks the first bucket width once the points span some x: the range over the target, so the grid starts fine
   * and doubles as the trace grows. Until then the frontend gets the raw points (few, by construction).
   */
  private chooseWidth(): void {
    const range = this.maxX - this.minX;
    let width: number;
    if (range > 0 && this.ring.size > 1) width = range / this.targetBuckets;
    else if (this.ring.size > 4 * this.targetBuckets) width = 1;
    else return;
    this.grid.setWidth(width);
    this.ring.forEach((x, y) => {
      if (x >= this.viewStart) this.grid.add(x, y);
    });
  }

  private rawSorted(): { x: number[]; y: number[] } {
    const pts: [number, number][] = [];
    this.ring.forEach((x, y) => {
      if (x >= this.viewStart) pts.push([x, y]);
    });
    pts.sort((a, b) => a[0] - b[0]);
    return { x: pts.map((p) => p[0]), y: pts.map((p) => p[1]) };
  }
}
