/**
 * Online anomaly detection of a live stream, one detector per key: each row's numeric field `y` is scored by the
 * detector of its key (`by`; without it, one detector for the whole stream), online, using only the rows before it.
 * Rows come out with the scorer's shape (StreamScorer): the row's fields with `score` and `isAnomaly`, plus `reason`
 * (what part of the detector fired, on a flagged row; else null) and `warmingUp` (its key's detector is still
 * learning, so its score is 0). The detector is itself a stream of those rows (a window, a chart, a forward to a
 * topic or another detector take it); flagged rows also go to a topic (when given) and to a bounded buffer
 * (flagged(), a DataFrame). A row whose `y` is missing or not a number is not scored: it is counted and kept aside
 * with its topic, partition and offset (setAside()), never dropped silently. Memory is bounded: at most `maxKeys`
 * detectors (least recently seen key evicted: see KeyedDetectors), `keep` flagged rows, `keepResults` newest rows
 * and 1000 rows set aside.
 */
import { fieldReader, isStreamRecord, Listeners, type BatchListener, type JsonValue, type Stream, type StreamRecord } from '../record';
import { StreamlabError } from '../errors';
import { frameFromColumns, type DataFrame } from '../frames';
import type { TopicSink } from '../kafka';
import type { LiveDisplay } from '../output/liveDisplay';
import { MIME_BUNDLE, type MimeBundle } from '../output/notebookOutput';
import { formatCount, formatTime } from '../output/format';
import { RingBuffer } from '../util/ringBuffer';
import { waitFor } from '../util/waitFor';
import { LiveRows } from '../join/liveRows';
import { KeyedDetectors, type KeyedDetectorsMetrics } from './detectors/keyedDetectors';
import { fieldOf, rowOf } from './streamScorer';

export interface StreamDetectorOptions {
  /** The numeric field scored (a dotted path reaches into nested values). */
  y: string;
  /** The key field: one detector per value of it (a dotted path allowed). Absent: one detector for every row. */
  by?: string;
  /** A name of DETECTORS (default the registry's first). */
  detector?: string;
  /** Flag rows with score >= this instead of the detector's own threshold. */
  threshold?: number;
  /** Detectors held at most (default 10,000); the least recently seen key is evicted beyond it. */
  maxKeys?: number;
  /** Rows after a key's alert in which that key does not alert again (default: the detector's own). */
  quietRows?: number;
  /** Where flagged rows are written. */
  sink?: TopicSink;
  /** Flagged rows kept for flagged(). Default 1000. */
  keep?: number;
  /** Newest rows kept for recent() and show(). Default 1000. */
  keepResults?: number;
  /** What it is called in messages and in the records it makes of rows that are not records (window results). */
  name?: string;
}

/** A row kept for recent(): its item and verdict, and its record when it was built anyway. */
interface Verdict {
  item: unknown;
  score: number;
  isAnomaly: boolean;
  reason: string | null;
  warmingUp: boolean;
  key: unknown;
  time: number | undefined;
  record: StreamRecord<JsonValue> | undefined;
}

export interface StreamDetectorMetrics extends KeyedDetectorsMetrics {
  /** Rows received (scored + set aside). */
  records: number;
  /** Rows not scored because `y` was missing or not a number, by reason; each kept aside (setAside()). */
  setAside: number;
  setAsideByReason: Record<string, number>;
  /** Flagged rows written to the topic. */
  written: number;
  batches: number;
  /** Time spent detecting (not delivering), ms. */
  busyMs: number;
  errors: number;
  lastError?: string;
}

/** A row not scored, with where it came from and why. */
export interface DetectAsideRecord {
  reason: string;
  topic: string | null;
  partition: number | null;
  offset: number | null;
  key: string | null;
  time: string;
  /** What `y` held (undefined when missing). */
  y: unknown;
}

interface KeptAside {
  reason: string;
  item: unknown;
  y: unknown;
}

type Row = Record<string, unknown>;

/**
 * The newest verdicts in fixed slots overwritten in place: one object per kept row, not one per row scored (an
 * object per row was a fifth of the cost of detecting, most of it collecting them again).
 */
class VerdictRing {
  private readonly slots: Verdict[] = [];
  private next = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.slots.length;
  }

  push(item: unknown, score: number, isAnomaly: boolean, reason: string | null, warmingUp: boolean, key: unknown, time: number | undefined, record: StreamRecord<JsonValue> | undefined): void {
    if (this.slots.length < this.capacity) {
      this.slots.push({ item, score, isAnomaly, reason, warmingUp, key, time, record });
      return;
    }
    const s = this.slots[this.next]!;
    s.item = item;
    s.score = score;
    s.isAnomaly = isAnomaly;
    s.reason = reason;
    s.warmingUp = warmingUp;
    s.key = key;
    s.time = time;
    s.record = record;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
  }

  /** Copies of the newest n verdicts (all when omitted), oldest first. */
  toArray(n = this.slots.length): Verdict[] {
    const size = this.slots.length;
    const take = Math.min(n, size);
    const out: Verdict[] = [];
    // Full: the oldest is at `next`; filling: at 0.
    const oldest = size < this.capacity ? 0 : this.next;
    for (let i = size - take; i < size; i++) out.push({ ...this.slots[(oldest + i) % size]! });
    return out;
  }
}

/** A field of a stream item (a record, a window result, a plain row), a dotted path read into nested values. */
export function itemFieldReader(name: string): (item: unknown) => unknown {
  if (!name.includes('.')) return (item) => fieldOf(item, name);
  const read = fieldReader(name);
  return (item) => {
    if (isStreamRecord(item)) {
      const v = item.value;
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? read(v as Row) : undefined;
    }
    return read(rowOf(item));
  };
}

/** A number from a field: a finite number, or text that is one (as aggregates read it); else undefined. */
function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function keyText(key: unknown): string | null {
  if (key === null || key === undefined) return null;
  if (typeof key === 'string') return key;
  if (Buffer.isBuffer(key)) return key.toString('hex');
  return typeof key === 'object' ? JSON.stringify(key) : String(key);
}

export class StreamDetector implements Stream<StreamRecord<JsonValue>> {
  readonly keyed: KeyedDetectors;
  readonly y: string;
  readonly by: string | undefined;
  readonly name: string;
  private readonly readY: (item: unknown) => unknown;
  private readonly readKey: ((item: unknown) => unknown) | undefined;
  private readonly listeners: Listeners<StreamRecord<JsonValue>>;
  private readonly scoredListeners = new Set<(rows: Row[]) => void>();
  private readonly errorListeners = new Set<(message: string) => void>();
  private readonly kept: RingBuffer<Row>;
  private readonly aside = new RingBuffer<KeptAside>(1000);
  private readonly view: LiveRows;
  /** The newest rows' items and verdicts, made into rows only when read (recent(), show()). */
  private readonly newest: VerdictRing;
  private newestDelivered = 0;
  private readonly keepResults: number;
  /** Fast readers of a record's object value (the common case), beside the general ones. */
  private readonly readYOfValue: (value: Row) => unknown;
  private readonly readKeyOfValue: ((value: Row) => unknown) | undefined;
  private readonly m = { records: 0, setAside: 0, written: 0, batches: 0, busyMs: 0, errors: 0 };
  private readonly setAsideByReason: Record<string, number> = {};
  private lastError: string | undefined;
  /** Offsets of the records made of rows that are not records (window results, plain rows). */
  private made = 0;
  private detach: (() => void) | undefined;
  private pending: Promise<void> = Promise.resolve();
  stopped = false;

  constructor(readonly options: StreamDetectorOptions) {
    if (typeof options.y !== 'string' || options.y.trim() === '') throw new StreamlabError('detection needs y: the numeric field to score', "give y: 'value' (or --y FIELD)");
    const keep = options.keep ?? 1000;
    if (!Number.isSafeInteger(keep) || keep < 1) throw new StreamlabError(`keep must be a whole number >= 1, got ${keep}`);
    this.keyed = new KeyedDetectors({ detector: options.detector, maxKeys: options.maxKeys, threshold: options.threshold, quietRows: options.quietRows });
    this.y = options.y;
    this.by = options.by;
    this.name = options.name ?? 'detect';
    this.readY = itemFieldReader(options.y);
    this.readKey = options.by === undefined ? undefined : itemFieldReader(options.by);
    this.readYOfValue = fieldReader(options.y);
    this.readKeyOfValue = options.by === undefined ? undefined : fieldReader(options.by);
    this.kept = new RingBuffer<Row>(keep);
    this.listeners = new Listeners((e) => this.error(`a subscriber failed and was detached: ${(e as Error).message}`));
    this.keepResults = options.keepResults ?? 1000;
    if (!Number.isSafeInteger(this.keepResults) || this.keepResults < 1) throw new StreamlabError(`keepResults must be a whole number >= 1, got ${this.keepResults}`);
    // The newest rows are kept as items and verdicts and built only when read: building a row per record cost more
    // than detecting (bench/detectThroughput.ts).
    this.newest = new VerdictRing(this.keepResults);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getter below has its own `this`
    const self = this;
    this.view = new LiveRows(
      {
        recent: (n) => this.newest.toArray(n).map((v) => v.record ?? this.recordOf(v.item, this.rowWithVerdict(v.item, v.score, v.isAnomaly, v.reason, v.warmingUp), v.key, v.time)),
        get retained() {
          return self.retainedRows();
        },
      },
      () => this.caption(),
      () => this.whyEmpty(),
    );
  }

  get threshold(): number {
    return this.keyed.threshold;
  }

  get detectorName(): string {
    return this.keyed.detectorName;
  }

  get warmupRows(): number {
    return this.keyed.warmupRows;
  }

  /** Detects in every batch `source` delivers from now on (the source waits while its rows are delivered). */
  attach(source: Stream<unknown>): this {
    if (this.detach) throw new StreamlabError('this detector is already attached to a stream', 'create another detector for another stream');
    this.detach = source.subscribe((batch) =>
      this.process(batch, false).then(
        () => undefined,
        (e: unknown) => this.failed(e),
      ),
    );
    return this;
  }

  /**
   * Scores a batch (in order) and delivers its rows to subscribers; flagged rows go to the kept buffer and to the
   * topic. Returns the scored rows (as records: `value` is the row with its verdict).
   */
  detect(batch: readonly unknown[]): Promise<StreamRecord<JsonValue>[]> {
    return this.process(batch, true);
  }

  /** detect(), building every row only when asked (`all`) or subscribed to; else only the flagged ones. */
  private async process(batch: readonly unknown[], all: boolean): Promise<StreamRecord<JsonValue>[]> {
    const started = performance.now();
    this.m.batches++;
    this.m.records += batch.length;
    const keyed = this.keyed;
    const threshold = keyed.threshold;
    const by = this.by;
    // Rows are built for subscribers and for flagged rows; the newest keepResults of the batch are kept unbuilt.
    const everyRow = all || this.listeners.size > 0;
    const tailFrom = batch.length - this.keepResults;
    const out: StreamRecord<JsonValue>[] = [];
    const flagged: Row[] = [];
    const scored: Row[] | undefined = this.scoredListeners.size > 0 ? [] : undefined;
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i];
      let raw: unknown;
      let key: unknown;
      let time: number | undefined;
      const record = isStreamRecord(item) ? item : undefined;
      const v = record?.value;
      if (record && typeof v === 'object' && v !== null && !Array.isArray(v)) {
        // A record with an object value, read in place (no row is built to read it).
        raw = this.readYOfValue(v as Row);
        key = this.readKeyOfValue ? this.readKeyOfValue(v as Row) : undefined;
        time = record.time;
      } else {
        raw = this.readY(item);
        key = this.readKey ? this.readKey(item) : undefined;
        const t = record ? record.time : fieldOf(item, 'time');
        time = typeof t === 'number' && Number.isFinite(t) ? t : undefined;
      }
      const y = numberOf(raw);
      if (y === undefined) {
        this.setAside(raw === undefined || raw === null ? `no '${this.y}'` : `'${this.y}' not a number`, item, raw);
        continue;
      }
      const score = keyed.score(key, y, time);
      const isAnomaly = keyed.lastIsAnomaly;
      const reason = keyed.lastReason ?? null;
      const warmingUp = keyed.lastWarmingUp;
      if (scored) {
        const s: Row = { time, score, threshold, isAnomaly, reason, warmingUp };
        if (by !== undefined) s[by] = key;
        scored.push(s);
      }
      this.newestDelivered++;
      if (!everyRow && !isAnomaly) {
        if (i >= tailFrom) this.newest.push(item, score, isAnomaly, reason, warmingUp, key, time, undefined);
        continue;
      }
      const own = this.rowWithVerdict(item, score, isAnomaly, reason, warmingUp);
      if (isAnomaly) flagged.push(own);
      const r = everyRow || i >= tailFrom ? this.recordOf(item, own, key, time) : undefined;
      if (everyRow) out.push(r!);
      if (i >= tailFrom) this.newest.push(item, score, isAnomaly, reason, warmingUp, key, time, r);
    }
    for (const r of flagged) this.kept.push(r);
    this.m.busyMs += performance.now() - started;
    if (scored && scored.length > 0) {
      for (const l of [...this.scoredListeners]) {
        try {
          l(scored);
        } catch (e) {
          this.failed(e);
        }
      }
    }
    if (flagged.length > 0 && this.options.sink) {
      // Writes go one at a time, in order; idle() and stop() wait for them.
      const write = this.pending.then(() => this.write(flagged));
      this.pending = write;
      await write;
    }
    await this.listeners.deliver(out);
    return out;
  }

  /** The scorer's row (rowOf copies a record's value, with its time), with the verdict. */
  private rowWithVerdict(item: unknown, score: number, isAnomaly: boolean, reason: string | null, warmingUp: boolean): Row {
    const row = rowOf(item);
    const own = row === item ? { ...row } : row;
    own.score = score;
    own.isAnomaly = isAnomaly;
    own.reason = reason;
    own.warmingUp = warmingUp;
    return own;
  }

  private retainedRows(): { delivered: number; kept: number } {
    return { delivered: this.newestDelivered, kept: this.newest.size };
  }

  private async write(flagged: Row[]): Promise<void> {
    const sink = this.options.sink!;
    try {
      await sink.write(flagged);
      await sink.flush();
      this.m.written += flagged.length;
    } catch (e) {
      this.failed(e);
    }
  }

  /** A row as a record: a record keeps its topic, partition, offset and key; anything else gets this detector's. */
  private recordOf(item: unknown, value: Row, key: unknown, time: number | undefined): StreamRecord<JsonValue> {
    if (isStreamRecord(item)) {
      const r: StreamRecord<JsonValue> = { topic: item.topic, partition: item.partition, offset: item.offset, key: item.key, timestamp: item.timestamp, time: item.time, value };
      if (item.headers) r.headers = item.headers;
      return r;
    }
    const t = time ?? Date.now();
    return { topic: this.name, partition: 0, offset: this.made++, key: keyText(key), timestamp: t, time: t, value };
  }

  private setAside(reason: string, item: unknown, y: unknown): void {
    this.m.setAside++;
    this.setAsideByReason[reason] = (this.setAsideByReason[reason] ?? 0) + 1;
    this.aside.push({ reason, item, y });
  }

  /** The newest rows not scored (up to 1000), oldest first: why, and where each came from. */
  setAsideRecords(n?: number): DetectAsideRecord[] {
    return this.aside.toArray(n).map(({ reason, item, y }) => {
      const record = isStreamRecord(item) ? item : undefined;
      const t = fieldOf(item, 'time');
      return {
        reason,
        topic: record?.topic ?? null,
        partition: record?.partition ?? null,
        offset: record?.offset ?? null,
        key: record ? keyText(record.key) : null,
        time: typeof t === 'number' && Number.isFinite(t) ? formatTime(t) : 'no time',
        y,
      };
    });
  }

  /**
   * Every scored row from now on, as { time, score, threshold, isAnomaly, reason, warmingUp } plus the key field:
   * what a chart of the scores draws (the scorer's subscribeScored rows). Returns the unsubscribe.
   */
  subscribeScored(listener: (rows: Record<string, unknown>[]) => void): () => void {
    this.scoredListeners.add(listener);
    return () => this.scoredListeners.delete(listener);
  }

  /**
   * The newest kept rows (up to keepResults), oldest first, in subscribeScored's shape: a chart drawn after the
   * detector has run a while starts with them instead of empty.
   */
  recentScored(n?: number): Record<string, unknown>[] {
    const threshold = this.threshold;
    return this.newest.toArray(n).map((v) => {
      const s: Record<string, unknown> = { time: v.time, score: v.score, threshold, isAnomaly: v.isAnomaly, reason: v.reason, warmingUp: v.warmingUp };
      if (this.by !== undefined) s[this.by] = v.key;
      return s;
    });
  }

  subscribe(listener: BatchListener<StreamRecord<JsonValue>>): () => void {
    return this.listeners.add(listener);
  }

  onError(listener: (message: string) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  private error(message: string): void {
    this.failed(new Error(message));
    for (const l of this.errorListeners) l(`detector '${this.name}': ${message}`);
  }

  private failed(e: unknown): void {
    this.m.errors++;
    this.lastError = (e as Error).message;
  }

  /** The newest rows (up to keepResults), oldest first, as records. */
  recent(n?: number): StreamRecord<JsonValue>[] {
    return this.view.recent(n);
  }

  /** The newest rows as a ticking table below the running cell. */
  show(options: { rows?: number; everyMs?: number } = {}): LiveDisplay {
    return this.view.show(options);
  }

  /** As a cell's value: the table of its newest rows. */
  [MIME_BUNDLE](): MimeBundle {
    return this.view.bundle(15);
  }

  endDisplays(): void {
    this.view.end();
  }

  /** The flagged rows kept (the newest `keep`), as plain rows. */
  flaggedRows(): Record<string, unknown>[] {
    return this.kept.toArray().map((r) => ({ ...r }));
  }

  /** The flagged rows kept (the newest `keep`), as a DataFrame. */
  flagged(): DataFrame {
    const rows = this.kept.toArray();
    const names = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    return frameFromColumns(Object.fromEntries(names.map((n) => [n, rows.map((r) => r[n] ?? null)])));
  }

  metrics(): StreamDetectorMetrics {
    return { ...this.keyed.metrics(), ...this.m, setAsideByReason: { ...this.setAsideByReason }, ...(this.lastError !== undefined ? { lastError: this.lastError } : {}) };
  }

  /** What it does, in words: "anomalies in value per sensor with likelihood (warm-up 200 rows per key)". */
  describe(): string {
    const per = this.by === undefined ? '' : ` per ${this.by}`;
    return `anomalies in ${this.y}${per} with ${this.detectorName} (warm-up ${formatCount(this.warmupRows)} rows${this.by === undefined ? '' : ' per key'})`;
  }

  private caption(): string {
    const m = this.metrics();
    return `detector '${this.name}': ${this.describe()} · ${formatCount(m.rows)} scored · ${formatCount(m.flagged)} flagged`;
  }

  private whyEmpty(): string {
    const m = this.metrics();
    if (m.records === 0) return 'no rows have reached it yet';
    return `none of its ${formatCount(m.records)} rows had a numeric '${this.y}' (${Object.entries(m.setAsideByReason).map(([r, n]) => `${formatCount(n)} ${r}`).join(', ')})`;
  }

  /**
   * Resolves (with the metrics) once `records` rows have reached it (scored or set aside); for notebooks, instead
   * of a polling loop. Rejects with one line after `timeoutMs` (default 2 minutes).
   */
  async until(records: number, options: { timeoutMs?: number } = {}): Promise<StreamDetectorMetrics> {
    if (!Number.isInteger(records) || records < 0) throw new StreamlabError(`until() needs a whole number of records, got ${records}`);
    const timeoutMs = options.timeoutMs ?? 120_000;
    await waitFor({
      check: () => (this.m.records >= records ? true : undefined),
      timeoutMs,
      timeout: () => new StreamlabError(`the detector has had ${formatCount(this.m.records)} of ${formatCount(records)} rows after ${Math.round(timeoutMs / 1000)} s`, 'wait longer (until(n, { timeoutMs })), or check that its stream gets records (%streams)'),
    });
    await this.idle();
    return this.metrics();
  }

  /** Waits for the flagged rows already found to be written. */
  async idle(): Promise<void> {
    await this.pending;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.detach?.();
    this.detach = undefined;
    await this.idle();
    this.view.end();
  }
}
