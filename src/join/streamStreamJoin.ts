/**
 * Two streams joined in event time (Kafka Streams' KStream-KStream join): a record joins each record of the other
 * side with the same key whose time is at most `before` earlier or `after` later than its own (the window, from the
 * left side's view; the right side sees it mirrored), for as long as the other record is kept: each side keeps its
 * records for before + after + grace of its own stream time, as Kafka Streams' join window stores do.
 *
 * Left and outer joins emit a record that found no partner when its window has closed (its time + the window's far
 * side + grace is behind the stream time of both sides), not at once, as Kafka Streams has done since 3.1: a record
 * that later finds a partner gives only the joined result. The rules below follow Kafka Streams 4.x's
 * KStreamKStreamJoin step by step, so that the same input gives the same rows (test/kafka/joinsKafkaStreams.test.ts):
 * one stream time per partition shared by both sides; unmatched records emitted when a record at the stream time
 * arrives; a record too late to be kept (its time <= its side's stream time - retention) counted as late, still
 * joined with what the other side keeps. Inputs from topics are merged in event-time order (TimeOrderedMerge).
 */
import { type BatchProgress, type JsonValue, type Stream, type StreamRecord, isStreamRecord } from '../record';
import { StreamlabError } from '../errors';
import { JoinOutput } from './joinOutput';
import { formatDuration } from '../output/format';
import { MinHeap } from '../window/minHeap';
import { KeyOption, KeyReader, keyId, keyReader } from './joinKey';
import { Joiner, joinedRecord, nestingJoiner, originOf, sideValue } from './joinedRecord';
import { AsideRecords, type AsideRecord } from './asideRecords';
import { Side, TimeOrderedMerge } from './timeOrderedMerge';
import { timeOfRow } from './streamTableJoin';

export type StreamJoinKind = 'inner' | 'left' | 'outer';

export interface StreamStreamJoinOptions {
  kind?: StreamJoinKind;
  /** Records join when their times differ by at most this much, either way (Kafka's ofTimeDifference...). */
  within?: number;
  /** Or asymmetric, from the left side's view: a right record up to `before` earlier and `after` later joins. */
  before?: number;
  after?: number;
  /** How long after a window's end its records are still waited for (out-of-order data). Required: 0 says none. */
  grace: number;
  leftKey?: KeyOption;
  rightKey?: KeyOption;
  /** Names of the two sides, for messages and the default joiner (right values go under the right name). */
  leftName?: string;
  rightName?: string;
  joiner?: Joiner;
  /** Its newest results kept (default 20,000), for recent() and for what attaches to it later (a window, a chart). */
  keep?: number;
  /** The output's name (its records' topic). Default `<left>-<right>-join`. */
  name?: string;
  /** Records held at most (both sides and the unmatched waiting for their window to close); beyond it new ones are not kept, and counted. Default 1,000,000. */
  maxRecords?: number;
  keepAside?: number;
  /**
   * One state per partition, as Kafka Streams keeps one per task (default when both keys are the record keys: the
   * topics must then be co-partitioned), or one for all partitions (default when a key is read from a value, where a
   * key's records can be on any partition; Kafka Streams would repartition first).
   */
  partitioned?: boolean;
}

interface Stored {
  time: number;
  value: unknown;
  key: unknown;
  matched: boolean;
  origin: unknown;
}

interface Pending {
  time: number;
  side: Side;
  key: unknown;
  keyText: string;
  value: unknown;
  done: boolean;
}

/** One partition's state: Kafka Streams' task. */
interface Task {
  streamTime: number;
  observed: [number, number];
  stores: [Map<unknown, Stored[]>, Map<unknown, Stored[]>];
  expiry: [MinHeap<{ id: unknown; stored: Stored }>, MinHeap<{ id: unknown; stored: Stored }>];
  /** Left/outer: records without a partner yet, by (time, side, key) as Kafka Streams' outer store orders them. */
  pending: Pending[];
  pendingIndex: Map<string, Pending[]>;
  minTime: number;
}

export interface SideMetrics {
  records: number;
  /** Too late to be kept for the other side (time <= this side's stream time - before - after - grace). */
  late: number;
  noKey: number;
  noValue: number;
  /** Kept records that left the window without ever joining (inner joins; left/outer emit them instead). */
  expiredUnmatched: number;
}

export interface StreamStreamJoinMetrics {
  name: string;
  kind: StreamJoinKind;
  /** Records in, both sides. */
  records: number;
  window: string;
  left: SideMetrics;
  right: SideMetrics;
  joined: number;
  /** Left/outer results without a partner, emitted. */
  unmatchedEmitted: number;
  /** Left/outer records waiting for their window to close. */
  pending: number;
  /** Records kept for joining (both sides). */
  stored: number;
  /** Records waiting in the event-time merge for the other side. */
  waiting: number;
  refused: number;
  streamTime: number;
  memoryBytes: number;
}

/**
 * Bytes a held record costs beside its value (its record, the stored entry, its heap slot and list slot), measured:
 * bench/joinThroughput's long run holds 29,000 records in 12 MB of heap, about 420 bytes each with ~120-byte values.
 */
const RECORD_OVERHEAD_BYTES = 300;

export class StreamStreamJoin extends JoinOutput {
  readonly kind: StreamJoinKind;
  readonly before: number;
  readonly after: number;
  readonly grace: number;
  readonly partitioned: boolean;
  private readonly retention: number;
  private readonly keys: [KeyReader, KeyReader];
  private readonly joiner: Joiner;
  private readonly outer: [boolean, boolean];
  private readonly tasks = new Map<number, Task>();
  private readonly aside: AsideRecords;
  private readonly merge: TimeOrderedMerge;
  private readonly maxRecords: number;
  private readonly sides: [SideMetrics, SideMetrics] = [newSide(), newSide()];
  private readonly m = { joined: 0, unmatchedEmitted: 0, emitted: 0, refused: 0 };
  private held = 0;
  private pendingCount = 0;
  private valueBytes = 0;
  private out: StreamRecord<JsonValue>[] = [];
  private readonly sideNames: [string, string];

  constructor(options: StreamStreamJoinOptions) {
    super(options.name ?? `${options.leftName ?? 'left'}-${options.rightName ?? 'right'}-join`, options.keep);
    this.kind = options.kind ?? 'inner';
    if (!['inner', 'left', 'outer'].includes(this.kind)) throw new StreamlabError(`a stream-stream join is inner, left or outer, got '${String(this.kind)}'`, 'pick kind inner, left or outer');
    if (options.grace === undefined || options.grace === null) {
      throw new StreamlabError('a stream-stream join window needs a grace period: how long to wait for out-of-order records after a window ends', 'give grace (e.g. grace: 5000, or --grace 5s; 0 waits for none)');
    }
    const within = options.within;
    this.before = options.before ?? within ?? NaN;
    this.after = options.after ?? within ?? NaN;
    this.grace = options.grace;
    for (const [what, v] of [['before', this.before], ['after', this.after], ['grace', this.grace]] as const) {
      if (!Number.isFinite(v) || v < 0) {
        throw new StreamlabError(`a stream-stream join needs ${what === 'grace' ? 'a grace' : 'a window'} of 0 ms or more${what === 'grace' ? '' : ` (${what})`}, got ${String(v)}`, within === undefined && what !== 'grace' ? 'give within (e.g. within: 10_000, or --within 10s), or both before and after' : 'give a duration such as 5000 (or 5s in %join)');
      }
    }
    if (this.before + this.after === 0 && within === undefined && options.before === undefined) {
      throw new StreamlabError('a stream-stream join needs a window', 'give within (e.g. within: 10_000, or --within 10s)');
    }
    this.retention = this.before + this.after + this.grace;
    this.keys = [keyReader(options.leftKey), keyReader(options.rightKey)];
    this.sideNames = [options.leftName ?? 'left', options.rightName ?? 'right'];
    this.joiner = options.joiner ?? nestingJoiner(this.sideNames[1], this.kind === 'outer' ? this.sideNames[0] : undefined);
    this.outer = [this.kind !== 'inner', this.kind === 'outer'];
    this.maxRecords = options.maxRecords ?? 1_000_000;
    this.aside = new AsideRecords(options.keepAside ?? 1000);
    this.partitioned = options.partitioned ?? (this.keys[0].field === undefined && this.keys[1].field === undefined && typeof options.leftKey !== 'function' && typeof options.rightKey !== 'function');
    this.merge = new TimeOrderedMerge(
      (side, item) => this.process(side, item),
      () => this.flushOut(),
      (_side, item) => timeOf(item),
      this.partitioned,
    );
  }

  /** The window as a person reads it. */
  get windowText(): string {
    const w = this.before === this.after ? `within ${formatDuration(this.before)}` : `${formatDuration(this.before)} before to ${formatDuration(this.after)} after`;
    return `${w}, grace ${formatDuration(this.grace)}`;
  }

  /** Follows two streams; rows of topics are merged in event time per partition. Returns the function that detaches both. */
  attach(left: Stream<unknown>, right: Stream<unknown>): () => void {
    this.merge.setSource(0, left);
    this.merge.setSource(1, right);
    const a = left.subscribe((rows, progress) => this.merge.push(0, rows, progress));
    const b = right.subscribe((rows, progress) => this.merge.push(1, rows, progress));
    return () => {
      a();
      b();
      this.merge.stop();
    };
  }

  /** Processes rows of the left side now (in the order given) and delivers the results. */
  addLeft(items: readonly unknown[], progress?: BatchProgress): Promise<void> {
    return this.merge.push(0, items, progress);
  }

  addRight(items: readonly unknown[], progress?: BatchProgress): Promise<void> {
    return this.merge.push(1, items, progress);
  }

  /** Processes rows of one side at once and returns what they produced, without delivering it (tests, oracles). */
  processNow(side: 'left' | 'right', items: readonly unknown[]): StreamRecord<JsonValue>[] {
    for (const item of items) this.process(side === 'left' ? 0 : 1, item);
    const out = this.out;
    this.out = [];
    return out;
  }

  private async flushOut(): Promise<void> {
    const out = this.out;
    this.out = [];
    await this.listeners.deliver(out, { topic: this.name, partitions: this.merge.outputProgress() });
  }

  private task(partition: number): Task {
    let t = this.tasks.get(partition);
    if (!t) {
      t = {
        streamTime: -Infinity,
        observed: [-Infinity, -Infinity],
        stores: [new Map(), new Map()],
        expiry: [new MinHeap(), new MinHeap()],
        pending: [],
        pendingIndex: new Map(),
        minTime: Infinity,
      };
      this.tasks.set(partition, t);
    }
    return t;
  }

  private process(side: Side, item: unknown): void {
    const metrics = this.sides[side];
    metrics.records++;
    const time = timeOf(item);
    const partition = this.partitioned && isStreamRecord(item) ? item.partition : 0;
    const task = this.task(partition);
    const value = sideValue(item);
    const key = this.keys[side].read(item);
    const id = keyId(key);
    if (time > task.streamTime) task.streamTime = time;
    const sideName = side === 0 ? 'left' : 'right';
    if (id === undefined && value !== null && value !== undefined && this.outer[side]) {
      // Kafka Streams: an outer side's record without a key can never join; it is emitted at once.
      metrics.noKey++;
      this.emitUnmatched(side, null, value, time, partition);
      return;
    }
    if (id === undefined || value === null || value === undefined) {
      if (id === undefined) metrics.noKey++;
      else metrics.noValue++;
      this.aside.add(sideName, id === undefined ? 'no key' : 'no value', originOf(item, time, key));
      return;
    }
    if (time === task.streamTime) this.emitClosed(task, side, partition);
    const other = (1 - side) as Side;
    // From this side's view: the other's records from `before` earlier to `after` later (mirrored for the right).
    const lookBefore = side === 0 ? this.before : this.after;
    const lookAfter = side === 0 ? this.after : this.before;
    const from = Math.max(0, time - lookBefore, task.observed[other] - this.retention + 1);
    const to = Math.max(0, time + lookAfter);
    let matched = false;
    const candidates = to >= from ? task.stores[other].get(id) : undefined;
    if (candidates) {
      for (const o of candidates) {
        if (o.time < from || o.time > to) continue;
        matched = true;
        o.matched = true;
        if (this.outer[other]) this.clearPending(task, other, id, o.time);
        const joined = side === 0 ? this.joiner(value, o.value) : this.joiner(o.value, value);
        this.out.push(joinedRecord(this.name, this.m.emitted++, key, Math.max(time, o.time), partition, joined));
        this.m.joined++;
      }
    }
    if (!matched && this.outer[side]) {
      if (time + lookAfter < task.streamTime) this.emitUnmatched(side, key, value, time, partition);
      else this.addPending(task, side, key, id, value, time);
    }
    this.store(task, side, id, key, value, time, item, matched);
  }

  /** Kafka Streams' window store put: kept for before + after + grace of this side's stream time, or late. */
  private store(task: Task, side: Side, id: unknown, key: unknown, value: unknown, time: number, item: unknown, matched: boolean): void {
    if (time > task.observed[side]) task.observed[side] = time;
    const boundary = task.observed[side] - this.retention;
    this.expire(task, side, boundary);
    if (time <= boundary) {
      this.sides[side].late++;
      this.aside.add(side === 0 ? 'left' : 'right', 'late', originOf(item, time, key));
      return;
    }
    if (this.held >= this.maxRecords) {
      if (this.m.refused++ === 0) this.error(`it holds ${this.maxRecords} records (maxRecords), so newer ones are not kept for joining (counted as refused); a shorter window or a larger maxRecords`);
      return;
    }
    if (this.valueBytes === 0 || (this.sides[side].records & 255) === 0) this.valueBytes = approximateBytes(value);
    // The record itself is its origin (no copy per record): only one that expires unmatched is read from it.
    const stored: Stored = { time, value, key, matched, origin: item };
    let list = task.stores[side].get(id);
    if (!list) task.stores[side].set(id, (list = []));
    // Kept in time order (equal times in arrival order), as the window store returns them; in order, a push.
    if (list.length === 0 || list[list.length - 1]!.time <= time) list.push(stored);
    else {
      let i = list.length;
      while (i > 0 && list[i - 1]!.time > time) i--;
      list.splice(i, 0, stored);
    }
    task.expiry[side].push(time, { id, stored });
    this.held++;
  }

  private expire(task: Task, side: Side, boundary: number): void {
    const heap = task.expiry[side];
    while (heap.size > 0 && heap.peekPriority() <= boundary) {
      const { id, stored } = heap.pop()!;
      const list = task.stores[side].get(id);
      if (list) {
        // The oldest goes first, so it is almost always at the front.
        const i = list[0] === stored ? 0 : list.indexOf(stored);
        if (i === 0) list.shift();
        else if (i > 0) list.splice(i, 1);
        if (list.length === 0) task.stores[side].delete(id);
      }
      this.held--;
      if (!stored.matched && !this.outer[side]) {
        this.sides[side].expiredUnmatched++;
        this.aside.add(side === 0 ? 'left' : 'right', 'no partner in the window', originOf(stored.origin, stored.time, stored.key));
      }
    }
  }

  private addPending(task: Task, side: Side, key: unknown, id: unknown, value: unknown, time: number): void {
    const keyText = pendingKeyText(id);
    const p: Pending = { time, side, key, keyText, value, done: false };
    // Kafka Streams' outer store orders by time, then side (right before left), then key.
    let lo = 0;
    let hi = task.pending.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (comparePending(task.pending[mid]!, p) <= 0) lo = mid + 1;
      else hi = mid;
    }
    task.pending.splice(lo, 0, p);
    const index = `${side}|${time}|${keyText}`;
    const list = task.pendingIndex.get(index);
    list ? list.push(p) : task.pendingIndex.set(index, [p]);
    if (time < task.minTime) task.minTime = time;
    this.pendingCount++;
    this.held++;
  }

  /** A partner arrived for the other side's waiting records of this key and time: they will not be emitted alone. */
  private clearPending(task: Task, side: Side, id: unknown, time: number): void {
    const index = `${side}|${time}|${pendingKeyText(id)}`;
    const list = task.pendingIndex.get(index);
    if (!list) return;
    task.pendingIndex.delete(index);
    for (const p of list) {
      if (p.done) continue;
      p.done = true;
      this.pendingCount--;
      this.held--;
    }
  }

  /** Emits the waiting records whose window has closed, in Kafka Streams' order and at its moments. */
  private emitClosed(task: Task, triggerSide: Side, partition: number): void {
    // Kafka Streams' own shortcut, kept because it decides when (not whether) a record is emitted: nothing is looked
    // at while the oldest waiting time it remembers is inside the trigger side's window.
    const triggerAfter = triggerSide === 0 ? this.after : this.before;
    if (task.minTime + triggerAfter + this.grace >= task.streamTime) return;
    task.minTime = Infinity;
    let leftOpen = false;
    let rightOpen = false;
    let kept = 0;
    const pending = task.pending;
    let i = 0;
    for (; i < pending.length; i++) {
      const p = pending[i]!;
      if (p.done) continue;
      task.minTime = p.time;
      if (leftOpen && rightOpen) break;
      const lookBack = p.side === 0 ? this.after : this.before;
      if (p.time + lookBack + this.grace >= task.streamTime) {
        if (p.side === 0) leftOpen = true;
        else rightOpen = true;
        pending[kept++] = p;
        continue;
      }
      p.done = true;
      const index = `${p.side}|${p.time}|${p.keyText}`;
      const list = task.pendingIndex.get(index);
      if (list) {
        const j = list.indexOf(p);
        if (j >= 0) list.splice(j, 1);
        if (list.length === 0) task.pendingIndex.delete(index);
      }
      this.pendingCount--;
      this.held--;
      this.emitUnmatched(p.side, p.key, p.value, p.time, partition);
    }
    for (; i < pending.length; i++) if (!pending[i]!.done) pending[kept++] = pending[i]!;
    pending.length = kept;
  }

  private emitUnmatched(side: Side, key: unknown, value: unknown, time: number, partition: number): void {
    const joined = side === 0 ? this.joiner(value, null) : this.joiner(null, value);
    this.out.push(joinedRecord(this.name, this.m.emitted++, key, time, partition, joined));
    this.m.unmatchedEmitted++;
  }

  /**
   * Emits now every record still waiting for its window to close (left/outer joins), as if time had moved past
   * them all, and delivers them: for a finite input read to its end, whose last windows no later record will close.
   * Kafka Streams has no such call: there, those records wait for the next record. Returns how many were emitted.
   */
  async flush(): Promise<number> {
    let emitted = 0;
    for (const [partition, task] of this.tasks) {
      for (const p of task.pending) {
        if (p.done) continue;
        p.done = true;
        this.pendingCount--;
        this.held--;
        this.emitUnmatched(p.side, p.key, p.value, p.time, partition);
        emitted++;
      }
      task.pending.length = 0;
      task.pendingIndex.clear();
      task.minTime = Infinity;
    }
    await this.flushOut();
    return emitted;
  }

  /** The records it left out (late, without key or value, never joined), newest last, with where each came from. */
  setAside(n?: number): AsideRecord[] {
    return this.aside.list(n);
  }

  get asideByReason(): Record<string, number> {
    return { ...this.aside.byReason };
  }

  metrics(): StreamStreamJoinMetrics {
    let stored = 0;
    let streamTime = -Infinity;
    for (const t of this.tasks.values()) {
      stored += t.expiry[0].size + t.expiry[1].size;
      streamTime = Math.max(streamTime, t.streamTime);
    }
    const waiting = this.merge.waiting;
    return {
      name: this.name,
      kind: this.kind,
      records: this.sides[0].records + this.sides[1].records,
      window: this.windowText,
      left: { ...this.sides[0] },
      right: { ...this.sides[1] },
      joined: this.m.joined,
      unmatchedEmitted: this.m.unmatchedEmitted,
      pending: this.pendingCount,
      stored,
      waiting,
      refused: this.m.refused,
      streamTime,
      memoryBytes: Math.round((this.held + waiting) * (RECORD_OVERHEAD_BYTES + this.valueBytes)),
    };
  }

  stop(): void {
    this.merge.stop();
  }
}

function comparePending(a: Pending, b: Pending): number {
  if (a.time !== b.time) return a.time - b.time;
  if (a.side !== b.side) return b.side - a.side;
  return a.keyText < b.keyText ? -1 : a.keyText > b.keyText ? 1 : 0;
}

function newSide(): SideMetrics {
  return { records: 0, late: 0, noKey: 0, noValue: 0, expiredUnmatched: 0 };
}

function timeOf(item: unknown): number {
  return isStreamRecord(item) ? item.time : timeOfRow(item);
}

function approximateBytes(value: unknown): number {
  try {
    return 2 * (JSON.stringify(value)?.length ?? 8);
  } catch {
    return 64;
  }
}

/** A key id as text for the waiting records' index and order: the number 1 and the text '1' stay apart. */
function pendingKeyText(id: unknown): string {
  return typeof id === 'string' ? id : `\u0000${typeof id}:${String(id)}`;
}
