/**
 * A rolling "last N seconds" or "last N records" view per key, for live plots: no windows to close, just the
 * most recent records and their aggregates, recomputed when asked (a plot asks a few times a second; the
 * stream adds thousands of records in between, so adding must be cheap and asking may be O(view)).
 *
 *   const v = rolling({ last: '30s', keyBy: 'sensor', aggregates: { value: ['mean', 'p90'] } });
 *   v.attach(source);
 *   v.frame();    // the records in view
 *   v.values();   // one row per key: from, to, mean_value, p90_value, invalid_value
 */
import { StreamlabError } from '../errors';
import { AggregatePlan, Fields } from './aggregatePlan';
import { AggregatesOption, parseAggregates } from './aggregateSpec';
import { Duration, parseDuration } from './duration';
import { DataFrame, toDataFrame } from './frame';
import { TimeOption, fieldsOf, isStreamRecord, keyReader, timeReader } from './recordAccess';
import { checkOptionNames, parseKeyBy, positiveInt } from './windowOptions';
import type { BatchSourceLike } from './windowedStream';

export interface RollingOptions {
  /** '30s' (a span of event time, ending at the newest record seen) or { records: 100 } (per key). */
  last: Duration | { records: number };
  keyBy?: string | string[];
  time?: TimeOption;
  /** For values(). Default: the record count. */
  aggregates?: AggregatesOption;
  /** Most records held over all keys; past it the oldest of the key go (counted in `evicted`). Default 100000. */
  maxRecords?: number;
  clock?: () => number;
}

const OPTION_NAMES = ['last', 'keyBy', 'time', 'aggregates', 'maxRecords', 'clock'];

interface Entry {
  time: number;
  fields: Fields;
  seq: number;
}

class KeyView {
  entries: Entry[] = [];
  head = 0;
  constructor(readonly values: unknown[]) {}

  get size(): number {
    return this.entries.length - this.head;
  }

  dropFront(n: number): void {
    this.head += n;
    // Amortised O(1): compact once the dead prefix is half the array.
    if (this.head > 64 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}

export class RollingView {
  readonly keyBy: readonly string[];
  /** Records pushed out by maxRecords before their time was up. */
  evicted = 0;
  /** Records already outside the span when they arrived (out of order): counted, not shown. */
  tooOld = 0;
  /** Records without a usable event time. */
  untimed = 0;
  private readonly spanMs: number | undefined;
  private readonly perKey: number | undefined;
  private readonly maxRecords: number;
  private readonly plan: AggregatePlan;
  private readonly keys = new Map<unknown, KeyView>();
  private readonly keyOf: (fields: Fields) => unknown;
  private readonly keyValues: (fields: Fields) => unknown[];
  private readonly time: ReturnType<typeof timeReader>;
  private readonly clock: () => number;
  private held = 0;
  private seq = 0;
  private maxTime = -Infinity;

  constructor(options: RollingOptions) {
    if (options === null || typeof options !== 'object') throw new StreamlabError('rolling() needs options', "e.g. rolling({ last: '30s', keyBy: 'sensor' })");
    checkOptionNames(options, OPTION_NAMES, 'rolling');
    const last = options.last;
    if (last !== null && typeof last === 'object') {
      this.perKey = positiveInt(last.records, 'last.records');
    } else if (last !== undefined) {
      this.spanMs = parseDuration(last, 'rolling span');
      if (this.spanMs === 0) throw new StreamlabError('rolling span must be positive', "e.g. last: '30s' or last: { records: 100 }");
    } else {
      throw new StreamlabError('rolling() needs last', "e.g. last: '30s' or last: { records: 100 }");
    }
    this.maxRecords = positiveInt(options.maxRecords ?? 100_000, 'maxRecords');
    this.keyBy = parseKeyBy(options.keyBy);
    const keys = keyReader(this.keyBy);
    this.keyOf = keys.mapKey;
    this.keyValues = keys.values;
    this.time = timeReader(options.time);
    this.clock = options.clock ?? Date.now;
    this.plan = new AggregatePlan(parseAggregates(options.aggregates));
  }

  add(record: unknown): this {
    if (this.time.processing) this.time.now = this.clock();
    this.ingest(record);
    return this;
  }

  addBatch(records: readonly unknown[]): this {
    if (this.time.processing) this.time.now = this.clock();
    for (let i = 0; i < records.length; i++) this.ingest(records[i]);
    return this;
  }

  attach(source: BatchSourceLike): () => void {
    return source.subscribe((records) => {
      this.addBatch(records);
    });
  }

  private ingest(record: unknown): void {
    const stream = isStreamRecord(record);
    const fields = fieldsOf(stream ? record.value : record);
    const t = this.time.read(fields, record, stream);
    if (!(t - t === 0)) {
      this.untimed++;
      return;
    }
    if (t > this.maxTime) this.maxTime = t;
    if (this.spanMs !== undefined && t < this.maxTime - this.spanMs) {
      this.tooOld++;
      return;
    }
    const mapKey = this.keyOf(fields);
    let view = this.keys.get(mapKey);
    if (!view) this.keys.set(mapKey, (view = new KeyView(this.keyValues(fields))));
    view.entries.push({ time: t, fields, seq: this.seq++ });
    this.held++;
    if (this.perKey !== undefined && view.size > this.perKey) {
      view.dropFront(1);
      this.held--;
    }
    if (this.held > this.maxRecords) {
      view.dropFront(1);
      this.held--;
      this.evicted++;
    }
  }

  /** Drops what has left the span; records arrive roughly in order, so the fronts are nearly sorted. */
  private expire(): void {
    if (this.spanMs === undefined) return;
    const from = this.maxTime - this.spanMs;
    for (const [mapKey, view] of this.keys) {
      let n = 0;
      while (n < view.size && view.entries[view.head + n]!.time < from) n++;
      view.dropFront(n);
      this.held -= n;
      if (view.size === 0) this.keys.delete(mapKey);
    }
  }

  private inView(view: KeyView): Entry[] {
    const from = this.spanMs === undefined ? -Infinity : this.maxTime - this.spanMs;
    return view.entries
      .slice(view.head)
      .filter((e) => e.time >= from)
      .sort((a, b) => a.time - b.time || a.seq - b.seq);
  }

  /** The records in view as rows: time, key fields, then every field seen, oldest first within each key. */
  rows(): Record<string, unknown>[] {
    this.expire();
    const out: Record<string, unknown>[] = [];
    for (const view of this.keys.values()) {
      for (const e of this.inView(view)) out.push({ time: e.time, ...e.fields });
    }
    return out.sort((a, b) => (a.time as number) - (b.time as number));
  }

  frame(): DataFrame {
    const rows = this.rows();
    const names = ['time'];
    for (const r of rows) for (const k of Object.keys(r)) if (!names.includes(k)) names.push(k);
    const columns: Record<string, unknown[]> = {};
    for (const n of names) columns[n] = rows.map((r) => r[n] ?? null);
    return toDataFrame(names, columns);
  }

  /** One row per key: key fields, from (oldest record time in view), to (newest), then the aggregates. */
  valueRows(): Record<string, unknown>[] {
    this.expire();
    const out: Record<string, unknown>[] = [];
    for (const view of this.keys.values()) {
      const entries = this.inView(view);
      if (entries.length === 0) continue;
      const state = this.plan.create();
      for (const e of entries) this.plan.add(state, e.fields, e.time, e.seq);
      const row: Record<string, unknown> = {};
      this.keyBy.forEach((k, i) => (row[k] = view.values[i]));
      row.from = entries[0]!.time;
      row.to = entries[entries.length - 1]!.time;
      for (const c of this.plan.columns) row[c.name] = c.get(state);
      out.push(row);
    }
    return out;
  }

  values(): DataFrame {
    const names = [...this.keyBy, 'from', 'to', ...this.plan.columns.map((c) => c.name)];
    const rows = this.valueRows();
    const columns: Record<string, unknown[]> = {};
    for (const n of names) columns[n] = rows.map((r) => r[n]);
    return toDataFrame(names, columns);
  }
}

export function rolling(options: RollingOptions): RollingView {
  return new RollingView(options);
}
