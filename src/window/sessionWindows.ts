/**
 * Session windows, as Kafka Streams' SessionWindows: records of a key less than `gap` apart (inclusive) form one
 * session [first record, last record]; a record that falls within the gap of two sessions merges them. A session
 * closes when the watermark passes its end + gap, since no record on time can reach it after that.
 *
 * Lateness, like Kafka's: a record is late when the session it would start or extend has already closed, or when
 * it falls within the gap of a session that already closed (merging would change a result already emitted).
 */
import { AggregatePlan, Fields, WindowState } from './aggregatePlan';
import { SessionWindowSpec } from './windowKinds';
import { MinHeap } from './minHeap';
import { DROPPED, INVALID, REFUSED, StoreContext, WindowStore, WindowVisitor, KEY_BYTES, WINDOW_BYTES } from './windowStore';

class Session {
  alive = true;
  constructor(
    readonly key: SessionKey,
    public start: number,
    public end: number,
    readonly state: WindowState,
  ) {}
}

class SessionKey {
  /** Open sessions, sorted by start; they never overlap. */
  readonly sessions: Session[] = [];
  /** End of the newest closed session: records within the gap of it are late. */
  lastClosedEnd = -Infinity;
  constructor(
    readonly mapKey: unknown,
    readonly values: unknown[],
  ) {}
}

export class SessionWindowStore implements WindowStore {
  private readonly keys = new Map<unknown, SessionKey>();
  /**
   * Sessions by the watermark that would close them, and idle keys by the watermark after which their last
   * closed session can no longer make a record late. Entries may be stale (a session grew or merged away); they
   * are checked when popped, which keeps a record's work at O(log n) without re-ordering on every extension.
   */
  private readonly due = new MinHeap<Session | SessionKey>();
  private readonly dirty = new Set<Session>();
  private readonly gap: number;
  openCount = 0;

  constructor(
    spec: SessionWindowSpec,
    private readonly plan: AggregatePlan,
    private readonly ctx: StoreContext,
  ) {
    this.gap = spec.gapMs;
  }

  get nextCloseAt(): number {
    return this.due.peekPriority();
  }

  add(mapKey: unknown, fields: Fields, t: number, seq: number, watermark: number): number {
    const gap = this.gap;
    let key = this.keys.get(mapKey);
    if (key !== undefined && t <= key.lastClosedEnd + gap) return DROPPED;
    const sessions = key?.sessions;
    // First session that could touch t: sessions are sorted and disjoint, so ends are sorted too.
    let first = 0;
    let touching = 0;
    if (sessions !== undefined) {
      let lo = 0;
      let hi = sessions.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sessions[mid]!.end + gap < t) lo = mid + 1;
        else hi = mid;
      }
      first = lo;
      while (first + touching < sessions.length && sessions[first + touching]!.start - gap <= t) touching++;
    }
    let s: Session;
    if (touching === 0) {
      if (t + gap < watermark) return DROPPED;
      if (key === undefined) {
        if (this.keys.size >= this.ctx.maxKeys) return REFUSED;
        key = new SessionKey(mapKey, this.ctx.keyValues(fields));
        this.keys.set(mapKey, key);
      }
      s = new Session(key, t, t, this.plan.create());
      key.sessions.splice(first, 0, s);
      this.due.push(t + gap + 1, s);
      this.openCount++;
    } else {
      s = sessions![first]!;
      for (let i = 1; i < touching; i++) {
        const other = sessions![first + i]!;
        this.plan.merge(s.state, other.state);
        if (other.end > s.end) s.end = other.end;
        other.alive = false;
        this.dirty.delete(other);
        this.openCount--;
      }
      if (touching > 1) sessions!.splice(first + 1, touching - 1);
      if (t < s.start) s.start = t;
      if (t > s.end) s.end = t;
    }
    if (this.ctx.trackUpdates) this.dirty.add(s);
    return this.plan.add(s.state, fields, t, seq) ? 0 : INVALID;
  }

  closeUntil(watermark: number): void {
    const gap = this.gap;
    while (this.due.size > 0 && this.due.peekPriority() <= watermark) {
      const item = this.due.pop()!;
      if (item instanceof SessionKey) {
        if (item.sessions.length === 0 && this.keys.get(item.mapKey) === item) this.keys.delete(item.mapKey);
        continue;
      }
      if (!item.alive) continue;
      const closesAt = item.end + gap + 1;
      if (closesAt > watermark) {
        this.due.push(closesAt, item);
        continue;
      }
      const key = item.key;
      const at = key.sessions.indexOf(item);
      key.sessions.splice(at, 1);
      item.alive = false;
      this.dirty.delete(item);
      this.openCount--;
      if (item.end > key.lastClosedEnd) key.lastClosedEnd = item.end;
      if (key.sessions.length === 0) this.due.push(key.lastClosedEnd + 2 * gap + 1, key);
      this.ctx.onClose(key.values, item.start, item.end, item.state);
    }
  }

  get keyCount(): number {
    return this.keys.size;
  }

  approxBytes(windowBytes: number): number {
    return this.keys.size * KEY_BYTES + this.openCount * (windowBytes + WINDOW_BYTES);
  }

  visitOpen(visit: WindowVisitor): void {
    for (const key of this.keys.values()) for (const s of key.sessions) visit(key.values, s.start, s.end, s.state);
  }

  takeUpdates(visit: WindowVisitor): void {
    for (const s of this.dirty) if (s.alive) visit(s.key.values, s.start, s.end, s.state);
    this.dirty.clear();
  }
}
