/**
 * Tumbling and hopping windows, as Kafka Streams' TimeWindows: [start, start + size) with start a multiple of
 * `advance` since the epoch. A window takes a record while its end is above the record's lateness bound (its
 * partition's stream time - grace, at least the watermark), and closes when the watermark reaches its end.
 */
import { AggregatePlan, Fields, WindowState } from './aggregatePlan';
import { FixedWindowSpec } from './windowKinds';
import { MinHeap } from './minHeap';
import { DROPPED, INVALID, REFUSED, LATE, StoreContext, WindowStore, WindowVisitor, KEY_BYTES, WINDOW_BYTES } from './windowStore';

class FixedWindow {
  closed = false;
  constructor(
    readonly key: FixedKey,
    readonly start: number,
    readonly state: WindowState,
  ) {}
}

class FixedKey {
  /** The window the last record of this key went to: in-order streams hit it almost every time. */
  lastStart = NaN;
  last: FixedWindow | undefined;
  readonly open = new Map<number, FixedWindow>();
  constructor(
    readonly mapKey: unknown,
    readonly values: unknown[],
  ) {}
}

export class FixedWindowStore implements WindowStore {
  private readonly keys = new Map<unknown, FixedKey>();
  /** Open windows by end, and the distinct ends in a heap: windows of all keys sharing an end close together. */
  private readonly byEnd = new Map<number, FixedWindow[]>();
  private readonly ends = new MinHeap<number>();
  private readonly dirty = new Set<FixedWindow>();
  private readonly size: number;
  private readonly advance: number;
  nextCloseAt = Infinity;
  openCount = 0;

  constructor(
    spec: FixedWindowSpec,
    private readonly plan: AggregatePlan,
    private readonly ctx: StoreContext,
  ) {
    this.size = spec.sizeMs;
    this.advance = spec.advanceMs;
  }

  add(mapKey: unknown, fields: Fields, t: number, seq: number, lateBefore: number): number {
    const size = this.size;
    const advance = this.advance;
    let key = this.keys.get(mapKey);
    let outcome = 0;
    let reached = 0;
    // Floor division rather than %, which is a slow library call on doubles such as epoch ms. The quotient can
    // round up to the next integer for a non-integer t just below a boundary, hence the correction.
    let latest = Math.floor(t / advance) * advance;
    if (latest > t) latest -= advance;
    // Latest window holding t first, then earlier ones; once one has closed, all earlier ones have too.
    for (let start = latest; start > t - size; start -= advance) {
      const end = start + size;
      if (end <= lateBefore) {
        outcome |= LATE;
        break;
      }
      if (key === undefined) {
        if (this.keys.size >= this.ctx.maxKeys) return REFUSED;
        key = new FixedKey(mapKey, this.ctx.keyValues(fields));
        this.keys.set(mapKey, key);
      }
      let w: FixedWindow | undefined;
      if (key.lastStart === start) {
        w = key.last!;
      } else {
        w = key.open.get(start) ?? this.openWindow(key, start, end);
        key.lastStart = start;
        key.last = w;
      }
      if (!this.plan.add(w.state, fields, t, seq)) outcome |= INVALID;
      if (this.ctx.trackUpdates) this.dirty.add(w);
      reached++;
    }
    if (reached === 0) outcome |= DROPPED;
    return outcome;
  }

  private openWindow(key: FixedKey, start: number, end: number): FixedWindow {
    const w = new FixedWindow(key, start, this.plan.create());
    key.open.set(start, w);
    let bucket = this.byEnd.get(end);
    if (bucket === undefined) {
      bucket = [];
      this.byEnd.set(end, bucket);
      this.ends.push(end, end);
      if (end < this.nextCloseAt) this.nextCloseAt = end;
    }
    bucket.push(w);
    this.openCount++;
    return w;
  }

  closeUntil(watermark: number): void {
    while (this.ends.size > 0 && this.ends.peekPriority() <= watermark) {
      const end = this.ends.pop()!;
      const bucket = this.byEnd.get(end)!;
      this.byEnd.delete(end);
      for (const w of bucket) {
        const key = w.key;
        key.open.delete(w.start);
        if (key.last === w) {
          key.last = undefined;
          key.lastStart = NaN;
        }
        // Keys live only while they have open windows, so state is bounded by the watermark, not by history.
        if (key.open.size === 0) this.keys.delete(key.mapKey);
        w.closed = true;
        this.dirty.delete(w);
        this.openCount--;
        this.ctx.onClose(key.values, w.start, end, w.state);
      }
    }
    this.nextCloseAt = this.ends.peekPriority();
  }

  get keyCount(): number {
    return this.keys.size;
  }

  approxBytes(windowBytes: number): number {
    return this.keys.size * KEY_BYTES + this.openCount * (windowBytes + WINDOW_BYTES);
  }

  visitOpen(visit: WindowVisitor): void {
    for (const key of this.keys.values()) {
      for (const w of key.open.values()) visit(key.values, w.start, w.start + this.size, w.state);
    }
  }

  takeUpdates(visit: WindowVisitor): void {
    for (const w of this.dirty) if (!w.closed) visit(w.key.values, w.start, w.start + this.size, w.state);
    this.dirty.clear();
  }
}
