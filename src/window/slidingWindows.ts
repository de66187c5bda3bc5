/**
 * Sliding windows, as Kafka Streams' SlidingWindows: windows [start, start + size] with both ends inclusive,
 * one ending at each record ([t - size, t]) and one starting just after each record ([t + 1, t + 1 + size]) when
 * later records fall in it. Only windows that hold records exist, so a burst of n records yields about 2n
 * windows rather than one per millisecond.
 *
 * The records of each key within reach of an open window are kept in time order, and each window is aggregated
 * from them when it closes: the same work as updating every window on every record (each record is folded once
 * into each window it belongs to), without keeping thousands of overlapping accumulators. A window closes when
 * the watermark passes its end. Each record keeps its lateness bound (its partition's stream time - grace when it
 * came): a window takes it only when the window's end is at or above that bound, the record's own window
 * [t - size, t] exists only when the record was on time (t >= bound), and the record is dropped when every window
 * that could hold it had closed (t + size < bound). So every window is a function of the records and their
 * bounds, whatever order they arrived in. Kafka Streams 4.4 differs around records late for their own window
 * (see the README); this follows the window definition.
 */
import { AggregatePlan, Fields } from './aggregatePlan';
import { SlidingWindowSpec } from './windowKinds';
import { MinHeap } from './minHeap';
import { DROPPED, INVALID, REFUSED, LATE, StoreContext, WindowStore, WindowVisitor, KEY_BYTES } from './windowStore';

/** Rough bytes of a kept record: its time and seq in arrays, and the small fields object it keeps alive. */
const RECORD_BYTES = 150;

class SlidingKey {
  readonly times: number[] = [];
  readonly records: Fields[] = [];
  readonly seqs: number[] = [];
  /** Each record's lateness bound: windows ending below it do not take the record. */
  readonly bounds: number[] = [];
  /** Windows ending before this have been emitted. */
  closedBefore: number;
  /** Watermark at which this key next has a window to close (a lower bound); its live entry in the heap. */
  due = Infinity;
  constructor(
    readonly mapKey: unknown,
    readonly values: unknown[],
    watermark: number,
  ) {
    this.closedBefore = watermark;
  }
}

export class SlidingWindowStore implements WindowStore {
  private readonly keys = new Map<unknown, SlidingKey>();
  private readonly dueKeys = new MinHeap<SlidingKey>();
  private readonly dirty = new Set<SlidingKey>();
  private readonly size: number;

  constructor(
    spec: SlidingWindowSpec,
    private readonly plan: AggregatePlan,
    private readonly ctx: StoreContext,
  ) {
    this.size = spec.sizeMs;
  }

  get nextCloseAt(): number {
    return this.dueKeys.peekPriority();
  }

  get openCount(): number {
    let n = 0;
    for (const key of this.keys.values()) this.windows(key, key.closedBefore, Infinity, () => n++);
    return n;
  }

  add(mapKey: unknown, fields: Fields, t: number, seq: number, lateBefore: number, watermark: number): number {
    if (t + this.size < lateBefore) return DROPPED;
    let key = this.keys.get(mapKey);
    if (key === undefined) {
      if (this.keys.size >= this.ctx.maxKeys) return REFUSED;
      key = new SlidingKey(mapKey, this.ctx.keyValues(fields), watermark);
      this.keys.set(mapKey, key);
    } else if (key.closedBefore < watermark) {
      // Nothing of this key was due below the watermark (or it would have been swept before this record), so
      // every window ending below it is settled; a late record must not bring its own closed window back.
      key.closedBefore = watermark;
    }
    const times = key.times;
    let at = times.length;
    if (at > 0 && times[at - 1]! > t) at = upperBound(times, t);
    if (at === times.length) {
      times.push(t);
      key.records.push(fields);
      key.seqs.push(seq);
      key.bounds.push(lateBefore);
    } else {
      times.splice(at, 0, t);
      key.records.splice(at, 0, fields);
      key.seqs.splice(at, 0, seq);
      key.bounds.splice(at, 0, lateBefore);
    }
    const due = t >= key.closedBefore ? t + 1 : t + this.size + 2;
    if (due < key.due) {
      key.due = due;
      this.dueKeys.push(due, key);
    }
    if (this.ctx.trackUpdates) this.dirty.add(key);
    let outcome = t < lateBefore ? LATE : 0;
    // Validity is a property of the record, so check it once here rather than in every window it joins.
    if (!this.plan.isValid(fields)) outcome |= INVALID;
    return outcome;
  }

  closeUntil(watermark: number): void {
    while (this.dueKeys.size > 0 && this.dueKeys.peekPriority() <= watermark) {
      const due = this.dueKeys.peekPriority();
      const key = this.dueKeys.pop()!;
      if (due !== key.due || this.keys.get(key.mapKey) !== key) continue;
      this.windows(key, key.closedBefore, watermark, (start, end) => this.emit(key, start, end));
      key.closedBefore = watermark;
      this.prune(key, watermark);
      if (key.times.length === 0) {
        this.keys.delete(key.mapKey);
        this.dirty.delete(key);
        key.due = Infinity;
      } else {
        key.due = this.nextDue(key);
        this.dueKeys.push(key.due, key);
      }
    }
  }

  private emit(key: SlidingKey, start: number, end: number): void {
    this.ctx.onClose(key.values, start, end, this.aggregate(key, start, end));
  }

  /** The window's records: those in [start, end] whose lateness bound the window's end reaches. */
  private aggregate(key: SlidingKey, start: number, end: number) {
    const state = this.plan.create();
    const { times, bounds } = key;
    for (let i = lowerBound(times, start); i < times.length && times[i]! <= end; i++) {
      if (bounds[i]! <= end) this.plan.add(state, key.records[i]!, times[i]!, key.seqs[i]!);
    }
    return state;
  }

  /** Whether the window [start, end] takes any record (a right window exists only then). */
  private holdsAny(key: SlidingKey, start: number, end: number): boolean {
    const { times, bounds } = key;
    for (let i = lowerBound(times, start); i < times.length && times[i]! <= end; i++) if (bounds[i]! <= end) return true;
    return false;
  }

  /** Whether some record at exactly time t was on time, so that its own window [t - size, t] exists. */
  private onTimeAt(key: SlidingKey, t: number): boolean {
    const { times, bounds } = key;
    for (let i = lowerBound(times, t); i < times.length && times[i] === t; i++) if (bounds[i]! <= t) return true;
    return false;
  }

  /**
   * Calls `each(start, end)` for the windows of `key` whose end is in [fromEnd, toEnd), in order of end.
   * Left windows end at record times; right windows end at t + 1 + size and exist when a later record is within
   * reach. A right window that coincides with a left one (same end, same size) is the same window.
   */
  private windows(key: SlidingKey, fromEnd: number, toEnd: number, each: (start: number, end: number) => void): void {
    const times = key.times;
    const size = this.size;
    let l = lowerBound(times, fromEnd);
    let r = lowerBound(times, fromEnd - 1 - size);
    for (;;) {
      // Left windows of records that were on time (a late record makes none).
      while (l < times.length && times[l]! < toEnd && !this.onTimeAt(key, times[l]!)) l = upperBound(times, times[l]!);
      const leftEnd = l < times.length && times[l]! < toEnd ? times[l]! : Infinity;
      let rightEnd = Infinity;
      while (r < times.length && times[r]! + 1 + size < toEnd) {
        const t = times[r]!;
        const next = upperBound(times, t);
        if (next < times.length && times[next]! <= t + 1 + size && this.holdsAny(key, t + 1, t + 1 + size)) {
          rightEnd = t + 1 + size;
          break;
        }
        r = next;
      }
      if (leftEnd === Infinity && rightEnd === Infinity) return;
      const end = Math.min(leftEnd, rightEnd);
      each(end - size, end);
      // Both advance on a tie: that right window is the left window of the record at its end.
      if (leftEnd === end) l = upperBound(times, leftEnd);
      if (rightEnd === end) r = upperBound(times, times[r]!);
    }
  }

  /**
   * Drops records that no open window holds or defines (their right window ended before the watermark). Stale
   * records at the front are harmless, since every search starts past them, so they are cut in bulk: a splice per
   * closed window would make long windows quadratic.
   */
  private prune(key: SlidingKey, watermark: number): void {
    const n = lowerBound(key.times, watermark - 1 - this.size);
    if (n < key.times.length && (n < 64 || n * 2 < key.times.length)) return;
    key.times.splice(0, n);
    key.records.splice(0, n);
    key.seqs.splice(0, n);
    key.bounds.splice(0, n);
  }

  private nextDue(key: SlidingKey): number {
    const times = key.times;
    const left = lowerBound(times, key.closedBefore);
    const right = lowerBound(times, key.closedBefore - 1 - this.size);
    return Math.min(left < times.length ? times[left]! + 1 : Infinity, right < times.length ? times[right]! + this.size + 2 : Infinity);
  }

  get keyCount(): number {
    return this.keys.size;
  }

  /** Sliding windows keep the records within reach of an open window (a time, a seq and the fields, per record). */
  approxBytes(windowBytes: number): number {
    let records = 0;
    for (const key of this.keys.values()) records += key.times.length;
    return this.keys.size * (KEY_BYTES + windowBytes) + records * RECORD_BYTES;
  }

  visitOpen(visit: WindowVisitor): void {
    for (const key of this.keys.values()) this.visitKey(key, visit);
  }

  takeUpdates(visit: WindowVisitor): void {
    for (const key of this.dirty) if (this.keys.get(key.mapKey) === key) this.visitKey(key, visit);
    this.dirty.clear();
  }

  private visitKey(key: SlidingKey, visit: WindowVisitor): void {
    this.windows(key, key.closedBefore, Infinity, (start, end) => visit(key.values, start, end, this.aggregate(key, start, end)));
  }
}

/** First index whose time is >= t. */
function lowerBound(times: number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose time is > t. */
function upperBound(times: number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
