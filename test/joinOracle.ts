/**
 * Brute-force oracles for the joins of src/join, written from the definitions below and sharing no code with them:
 * a table keeps every version it ever accepted, and every stream-stream step rescans the whole processed prefix.
 * Quadratic, meant for a few hundred records.
 *
 * Definitions (the joins' documented semantics, Kafka Streams' rules):
 * - Table: a put without a key is not applied. Unversioned: the current value of a key is its last put; a null
 *   value (tombstone) deletes it; every put is a change. Versioned (historyMs): observed = max time of the puts
 *   applied; a put with time < observed - historyMs is refused (expired); versions of a key are ordered by time,
 *   a put at the time of an existing version replaces it; the current value is the version with the greatest time,
 *   and a put older than that goes into the history only (out of order, no change); asOf(k, t) is the latest version
 *   with time <= t, undefined when that is a tombstone, when there is none, or when t < observed - historyMs.
 * - Stream-table join, per stream record in order: no value -> set aside; no key -> left: emitted with null, inner:
 *   set aside; else the table is looked up (as of the record's time, or its current value on arrival); found ->
 *   joined, not found -> left: emitted with null, inner: set aside. Output time = the record's time.
 * - Stream-stream join (R = before + after + grace; per task = partition): streamTime = max time of the task's
 *   records so far; observed[side] = max time of the side's records with key and value so far. A record with key and
 *   value is late iff its time <= observed[its side] (itself included) - R, and is then never stored. At step i a
 *   record x of side S matches every earlier stored record y of the other side with the same key, time in
 *   [t - lookBefore, t + lookAfter], and y.time > observed[other] - R; the output time is max(t, y.time). An outer
 *   side's record without a key (but with a value) is emitted alone at once; an outer side's record that matches
 *   nothing is emitted alone at once when t + lookAfter < streamTime, else it waits. A waiting record may be emitted
 *   at a later step of its task that is at the stream time (step 3) once its window has closed
 *   (time + (after for a left record, before for a right one) + grace < streamTime), and is cancelled by the first
 *   later step whose matches include a stored record of its side, key and time.
 * - Table-table join: the result of a key is present when inner: both tables hold it, left: the left holds it,
 *   outer: either holds it; its value joins the two current values (null for a side without one).
 */

export type JoinKey = string | number;

/** One put into a table, as the oracle sees it. */
export interface TablePut {
  /** Unique in a case; the table's value carries it, so an output names the version it used. */
  id: number;
  key: JoinKey | null;
  time: number;
  tombstone: boolean;
}

export interface OracleVersion {
  id: number;
  time: number;
  tombstone: boolean;
  /** Order of arrival, which decides between two puts of the same time (the later replaces the earlier). */
  seq: number;
}

export type PutOutcome = 'no key' | 'expired' | 'current' | 'history';

export class BruteTable {
  /** Every put accepted, per key, never pruned: the history rules are applied when reading, not when writing. */
  private readonly all = new Map<JoinKey, OracleVersion[]>();
  observed = -Infinity;
  readonly counts = { updates: 0, deletes: 0, noKey: 0, outOfOrder: 0, expired: 0 };
  private seq = 0;

  constructor(readonly historyMs?: number) {}

  get versioned(): boolean {
    return this.historyMs !== undefined;
  }

  put(p: TablePut): PutOutcome {
    if (p.key === null) {
      this.counts.noKey++;
      return 'no key';
    }
    if (this.historyMs !== undefined && p.time < this.observed - this.historyMs) {
      this.counts.expired++;
      return 'expired';
    }
    const list = this.all.get(p.key) ?? [];
    const newest = list.reduce((m, v) => Math.max(m, v.time), -Infinity);
    list.push({ id: p.id, time: p.time, tombstone: p.tombstone, seq: this.seq++ });
    this.all.set(p.key, list);
    this.observed = Math.max(this.observed, p.time);
    if (p.tombstone) this.counts.deletes++;
    else this.counts.updates++;
    if (this.versioned && p.time < newest) {
      this.counts.outOfOrder++;
      return 'history';
    }
    return 'current';
  }

  /** The version that is the key's value now (it may be a tombstone); undefined when the key never had one. */
  currentVersion(key: JoinKey): OracleVersion | undefined {
    const list = this.all.get(key) ?? [];
    // Unversioned: the last put wins whatever its time; versioned: the greatest time, then the later put.
    return list.reduce<OracleVersion | undefined>((best, v) => (best === undefined || !this.versioned || v.time > best.time || (v.time === best.time && v.seq > best.seq) ? v : best), undefined);
  }

  /** The current value's version, undefined when the key has none (never set, or deleted). */
  get(key: JoinKey): OracleVersion | undefined {
    const v = this.currentVersion(key);
    return v && !v.tombstone ? v : undefined;
  }

  asOf(key: JoinKey, time: number): OracleVersion | undefined {
    if (time < this.observed - (this.historyMs ?? 0)) return undefined;
    let best: OracleVersion | undefined;
    for (const v of this.all.get(key) ?? []) {
      if (v.time > time) continue;
      if (best === undefined || v.time > best.time || (v.time === best.time && v.seq > best.seq)) best = v;
    }
    return best && !best.tombstone ? best : undefined;
  }

  /** Every key ever put, and every version time of a key: where as-of lookups are worth probing. */
  keys(): JoinKey[] {
    return [...this.all.keys()];
  }

  versionTimes(key: JoinKey): number[] {
    return (this.all.get(key) ?? []).map((v) => v.time);
  }
}

// ---------------------------------------------------------------------------------------------- stream-table

export interface StreamRow {
  id: number;
  side: 'left' | 'right';
  partition: number;
  offset: number;
  /** The join key as the join reads it: null when there is none (a null record key, a missing field, no value). */
  key: JoinKey | null;
  time: number;
  hasValue: boolean;
}

export type StreamTableEvent = { kind: 'table'; put: TablePut } | { kind: 'stream'; row: StreamRow };

export type StreamTableOutcome = { emit: true; row: StreamRow; right: number | null } | { emit: false; row: StreamRow; reason: 'no value' | 'no key' | 'no row' };

export interface StreamTableOracle {
  /** By stream row id. */
  outcomes: Map<number, StreamTableOutcome>;
  counts: { records: number; joined: number; unmatched: number; noKey: number; noValue: number; emitted: number };
  table: BruteTable;
}

export function streamTableOracle(events: readonly StreamTableEvent[], o: { kind: 'inner' | 'left'; asOf: 'event-time' | 'arrival'; historyMs?: number }): StreamTableOracle {
  const table = new BruteTable(o.historyMs);
  const outcomes = new Map<number, StreamTableOutcome>();
  const counts = { records: 0, joined: 0, unmatched: 0, noKey: 0, noValue: 0, emitted: 0 };
  for (const e of events) {
    if (e.kind === 'table') {
      table.put(e.put);
      continue;
    }
    const row = e.row;
    counts.records++;
    let outcome: StreamTableOutcome;
    if (!row.hasValue) {
      counts.noValue++;
      outcome = { emit: false, row, reason: 'no value' };
    } else if (row.key === null) {
      counts.noKey++;
      outcome = o.kind === 'left' ? { emit: true, row, right: null } : { emit: false, row, reason: 'no key' };
    } else {
      const found = o.asOf === 'event-time' ? table.asOf(row.key, row.time) : table.get(row.key);
      if (found) {
        counts.joined++;
        outcome = { emit: true, row, right: found.id };
      } else {
        counts.unmatched++;
        outcome = o.kind === 'left' ? { emit: true, row, right: null } : { emit: false, row, reason: 'no row' };
      }
    }
    if (outcome.emit) counts.emitted++;
    outcomes.set(row.id, outcome);
  }
  return { outcomes, counts, table };
}

// --------------------------------------------------------------------------------------------- stream-stream

export interface StreamStreamOptions {
  kind: 'inner' | 'left' | 'outer';
  before: number;
  after: number;
  grace: number;
  /** All partitions are one task (keys read from values). */
  singleTask: boolean;
}

export interface StepVerdict {
  task: number;
  /** The task's stream time after this record. */
  streamTime: number;
  role: 'keyed' | 'no key' | 'no value' | 'emit no key';
  /** Step 3 runs at this step: waiting records of the task whose window closed may be emitted now. */
  trigger: boolean;
  /** Earlier records this one joins with (step indexes), and each result's time. */
  matches: { partner: number; time: number }[];
  late: boolean;
  /** Emitted alone at once because its window had already closed (rule 5). */
  immediate: boolean;
  waits: boolean;
  /** A waiting record's window is closed once the stream time is above this. */
  closesAfter: number;
  /** The first later step that cancels it while it waits; undefined when none does. */
  cancelledAt: number | undefined;
  /** Stored, dropped from its store without ever joining, on a side that is not outer. */
  expiredUnmatched: boolean;
  storedAtEnd: boolean;
}

export function streamStreamOracle(rows: readonly StreamRow[], o: StreamStreamOptions): StepVerdict[] {
  const R = o.before + o.after + o.grace;
  const n = rows.length;
  const outerSide = (s: 'left' | 'right') => (s === 'left' ? o.kind !== 'inner' : o.kind === 'outer');
  const taskOf = (r: StreamRow) => (o.singleTask ? 0 : r.partition);
  const keyed = (r: StreamRow) => r.key !== null && r.hasValue;
  const other = (s: 'left' | 'right') => (s === 'left' ? 'right' : 'left');
  // Every quantity below is a fresh scan of the prefix 0..i: slow, and obviously the definition.
  const streamTimeAt = (task: number, i: number) => {
    let m = -Infinity;
    for (let j = 0; j <= i; j++) if (taskOf(rows[j]!) === task) m = Math.max(m, rows[j]!.time);
    return m;
  };
  const observedAt = (side: 'left' | 'right', task: number, i: number) => {
    let m = -Infinity;
    for (let j = 0; j <= i; j++) {
      const r = rows[j]!;
      if (r.side === side && taskOf(r) === task && keyed(r)) m = Math.max(m, r.time);
    }
    return m;
  };
  const late = rows.map((r, i) => keyed(r) && r.time <= observedAt(r.side, taskOf(r), i) - R);

  const verdicts: StepVerdict[] = rows.map((x, i) => {
    const task = taskOf(x);
    const streamTime = streamTimeAt(task, i);
    const role: StepVerdict['role'] = x.key === null ? (outerSide(x.side) && x.hasValue ? 'emit no key' : 'no key') : x.hasValue ? 'keyed' : 'no value';
    const lookBefore = x.side === 'left' ? o.before : o.after;
    const lookAfter = x.side === 'left' ? o.after : o.before;
    const matches: StepVerdict['matches'] = [];
    if (role === 'keyed') {
      const otherObserved = observedAt(other(x.side), task, i);
      for (let j = 0; j < i; j++) {
        const y = rows[j]!;
        if (y.side === x.side || taskOf(y) !== task || !keyed(y) || late[j] || y.key !== x.key) continue;
        if (y.time < x.time - lookBefore || y.time > x.time + lookAfter) continue;
        if (y.time <= otherObserved - R) continue;
        matches.push({ partner: j, time: Math.max(x.time, y.time) });
      }
    }
    const alone = role === 'keyed' && outerSide(x.side) && matches.length === 0;
    const immediate = alone && x.time + lookAfter < streamTime;
    return {
      task,
      streamTime,
      role,
      trigger: role === 'keyed' && x.time === streamTime,
      matches,
      late: late[i]!,
      immediate,
      waits: alone && !immediate,
      closesAfter: x.time + (x.side === 'left' ? o.after : o.before) + o.grace,
      cancelledAt: undefined,
      expiredUnmatched: false,
      storedAtEnd: false,
    };
  });

  const partnerOf = new Set<number>();
  for (const v of verdicts) for (const m of v.matches) partnerOf.add(m.partner);
  for (let w = 0; w < n; w++) {
    const x = rows[w]!;
    const v = verdicts[w]!;
    if (v.waits) {
      for (let i = w + 1; i < n && v.cancelledAt === undefined; i++) {
        if (verdicts[i]!.task !== v.task) continue;
        if (verdicts[i]!.matches.some(({ partner }) => rows[partner]!.side === x.side && rows[partner]!.key === x.key && rows[partner]!.time === x.time)) v.cancelledAt = i;
      }
    }
    if (keyed(x) && !v.late) {
      const dropped = x.time <= observedAt(x.side, v.task, n - 1) - R;
      v.storedAtEnd = !dropped;
      v.expiredUnmatched = dropped && !outerSide(x.side) && v.matches.length === 0 && !partnerOf.has(w);
    }
  }
  return verdicts;
}

// ---------------------------------------------------------------------------------------------- table-table

/** The result a key has given the two tables' current values (version ids), or undefined when it has none. */
export function tableJoinRow(kind: 'inner' | 'left' | 'outer', left: number | undefined, right: number | undefined): { l: number | null; r: number | null } | undefined {
  const present = kind === 'inner' ? left !== undefined && right !== undefined : kind === 'left' ? left !== undefined : left !== undefined || right !== undefined;
  return present ? { l: left ?? null, r: right ?? null } : undefined;
}
