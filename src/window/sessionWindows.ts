/**
 * Session windows: records of a key at most `gap` apart form one session [first record, last record], as in Kafka
 * Streams' SessionWindows; a record that falls within the gap of two sessions merges them.
 *
 * Lateness and closing differ from Kafka Streams on purpose (the README's windows section has the table):
 * - A record is late when its own instant could no longer start a session: t + gap < its partition's stream
 *   time - grace (`lateBefore`). That is Kafka's rule for a record that merges with nothing; Kafka also takes an
 *   older record when it falls within the gap of a session that ends recently enough, which would make whether it
 *   counts depend on which other records (of other partitions) came first.
 * - A session closes, once, when the watermark passes end + 2 x gap: until then a record on time (as old as
 *   stream time - grace - gap) can still extend it by up to one gap. Kafka Streams emits at end + gap and emits
 *   again, overlapping, when a record within grace extends a session it has already emitted.
 * Both make the sessions of a topic independent of how its partitions interleave, and every emitted session final.
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
  constructor(
    readonly mapKey: unknown,
    readonly values: unknown[],
  ) {}
}

export class SessionWindowStore implements WindowStore {
  private readonly keys = new Map<unknown, SessionKey>();
  /**
   * Sessions by the watermark that would close them. Entries may be stale (a session grew or merged away); they
   * are checked when popped, which keeps a record's work at O(log n) without re-ordering on every extension.
   */
  private readonly due = new MinHeap<Session>();
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

  add(mapKey: unknown, fields: Fields, t: number, seq: number, lateBefore: number): number {
    const gap = this.gap;
    // Also covers a record within the gap of a closed session: closed means watermark > end + 2 gap, and
    // lateBefore >= watermark, so t <= end + gap is late here.
    if (t + gap < lateBefore) return DROPPED;
    let key = this.keys.get(mapKey);
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
      if (key === undefined) {
        if (this.keys.size >= this.ctx.maxKeys) return REFUSED;
        key = new SessionKey(mapKey, this.ctx.keyValues(fields));
        this.keys.set(mapKey, key);
      }
      s = new Session(key, t, t, this.plan.create());
      key.sessions.splice(first, 0, s);
      this.due.push(t + 2 * gap + 1, s);
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
      if (!item.alive) continue;
      const closesAt = item.end + 2 * gap + 1;
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
      if (key.sessions.length === 0) this.keys.delete(key.mapKey);
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
