/**
 * A table: the latest value of each key of a stream, as Kafka Streams' KTable holds a topic (a compacted topic is
 * the usual source). A record whose value is null (a tombstone) deletes its key. Versioned, it keeps each key's
 * history for `historyMs` of event time, so a join can look a key up as of a record's event time (Kafka Streams'
 * versioned key-value store: same put, expiry and as-of rules). A table from a DataFrame or a CSV holds reference
 * data. It is a stream of its changes (each update or deletion as a record), which table-table joins follow.
 */
import { Listeners, type BatchProgress, type JsonValue, type Stream, type BatchListener, type StreamRecord, isStreamRecord } from '../record';
import { StreamlabError } from '../errors';
import { MIME_BUNDLE, type MimeBundle } from '../output/notebookOutput';
import { LiveDisplay } from '../output/liveDisplay';
import { tableBundle } from '../output/table';
import { formatCount, formatDuration, formatTime } from '../output/format';
import { frameFromColumns, type DataFrame } from '../frames/danfo';
import { KeyOption, KeyReader, keyId, keyReader, outputKey, valueFields } from './joinKey';
import { joinedRecord } from './joinedRecord';

export interface KeyedTableOptions {
  /** The name changes are delivered under (their topic) and messages use. Default 'table'. */
  name?: string;
  /** Where each row's key is: the record key (default), a field of the value (a dotted path), or a function. */
  key?: KeyOption;
  /** Keep each key's history for this much event time, for as-of lookups (asOf, joins as of event time). */
  versioned?: { historyMs: number };
  /** For rows that are not records: the field holding their event time (default: 'time' when a row has it, else 0). */
  timeField?: string;
  /** At most this many keys (default 1,000,000); a new key beyond it is refused, counted and reported. */
  maxKeys?: number;
}

/** One version of a key's value; null is a tombstone (the key deleted from `time` on). */
interface Version {
  time: number;
  value: unknown;
}

interface Entry {
  key: unknown;
  /** The current value (never null: a deleted key of an unversioned table has no entry) and its event time. */
  value: unknown;
  time: number;
  partition: number;
  /** Versioned tables: every version still inside the history, oldest first. */
  versions?: Version[];
}

export interface TableMetrics {
  name: string;
  keys: number;
  /** Versions held in all (versioned tables); equal to keys otherwise. */
  versions: number;
  updates: number;
  deletes: number;
  /** Rows without a key: not applied (Kafka Streams drops them too). */
  noKey: number;
  /** Versioned: updates older than the latest version of their key, kept in the history but not the current value. */
  outOfOrder: number;
  /** Versioned: updates older than the history (stream time - historyMs): not applied, as Kafka Streams' store refuses them. */
  expired: number;
  /** New keys refused at maxKeys. */
  keysRefused: number;
  /** Highest event time applied (versioned tables' stream time). */
  streamTime: number;
  memoryBytes: number;
}

/** Rough bytes of a version beside its value, for the memory figure (Map slot, objects, array slot). */
const ENTRY_OVERHEAD_BYTES = 160;
const VERSION_OVERHEAD_BYTES = 48;
/** A full sweep of old versions once per this many updates keeps keys that are never updated again bounded too. */
const SWEEP_EVERY = 10_000;

export class KeyedTable implements Stream<StreamRecord<JsonValue>> {
  readonly name: string;
  readonly versioned: boolean;
  readonly historyMs: number;
  private readonly key: KeyReader;
  private readonly entries = new Map<unknown, Entry>();
  private readonly listeners: Listeners<StreamRecord<JsonValue>>;
  private readonly warningListeners = new Set<(message: string) => void>();
  private readonly maxKeys: number;
  private readonly timeField: string | undefined;
  private readonly m = { updates: 0, deletes: 0, noKey: 0, outOfOrder: 0, expired: 0, keysRefused: 0 };
  private observed = -Infinity;
  private versionCount = 0;
  /** Keys with a current value (a versioned table also holds deleted keys' history). */
  private liveKeys = 0;
  private changes = 0;
  private sinceSweep = 0;
  /** Bytes of a value, sampled now and then (JSON text length x 2). */
  private valueBytes = 0;
  private readonly feeds = new Set<() => void>();
  private readonly displays = new Set<LiveDisplay>();

  constructor(options: KeyedTableOptions = {}) {
    this.name = options.name ?? 'table';
    this.key = keyReader(options.key);
    const history = options.versioned?.historyMs;
    if (history !== undefined && !(Number.isFinite(history) && history >= 0)) {
      throw new StreamlabError(`table '${this.name}': versioned history must be a duration of 0 ms or more, got ${String(history)}`, "give versioned: { historyMs: 3_600_000 } (or --history 1h)");
    }
    this.versioned = history !== undefined;
    this.historyMs = history ?? 0;
    this.maxKeys = options.maxKeys ?? 1_000_000;
    this.timeField = options.timeField;
    this.listeners = new Listeners((e) => this.warn(`a subscriber of its changes failed and was detached: ${(e as Error).message}`));
  }

  /** A table of reference data: one row per key (a later row of a key replaces an earlier one). */
  static fromRows(rows: readonly Record<string, unknown>[], options: KeyedTableOptions & { key: KeyOption }): KeyedTable {
    const table = new KeyedTable(options);
    table.apply(rows);
    return table;
  }

  /** Keys that have a value now. */
  get size(): number {
    return this.versioned ? this.liveKeys : this.entries.size;
  }

  /** Which key the table reads, for messages ("field 'id'", "the record key"). */
  get keyDescription(): string {
    return this.key.describe;
  }

  /** The field the key is read from, when it is a field. */
  get keyField(): string | undefined {
    return this.key.field;
  }

  /** The current value of a key, undefined when it has none (never set, or deleted). */
  get(key: unknown): unknown {
    return this.entries.get(keyId(key))?.value;
  }

  has(key: unknown): boolean {
    return this.entries.get(keyId(key))?.value !== undefined;
  }

  /** The event time of a key's current value, undefined when it has none (a versioned table keeps deleted keys' history). */
  timeOf(key: unknown): number | undefined {
    const entry = this.entries.get(keyId(key));
    return entry?.value === undefined ? undefined : entry.time;
  }

  /**
   * The value a key had at event time `time`: its latest version at or before it; undefined when it had none then,
   * was deleted then, or `time` is older than the history kept (stream time - historyMs), as Kafka Streams answers.
   */
  asOf(key: unknown, time: number): unknown {
    return this.versionAt(keyId(key), time)?.value ?? undefined;
  }

  /** asOf with the version's own time, for joins that give a result the time of the version they used. */
  versionAt(id: unknown, time: number): Version | undefined {
    if (!this.versioned) {
      throw new StreamlabError(`table '${this.name}' is not versioned, so it has no history to look up as of a time`, 'make it versioned: versioned: { historyMs } (or --versioned --history 1h)');
    }
    if (time < this.observed - this.historyMs) return undefined;
    const versions = this.entries.get(id)?.versions;
    if (!versions) return undefined;
    for (let i = versions.length - 1; i >= 0; i--) {
      const v = versions[i]!;
      if (v.time <= time) return v.value === null ? undefined : v;
    }
    return undefined;
  }

  /** Current value by Map key (see keyId), for joins that hold the id already. */
  entryById(id: unknown): { value: unknown; time: number } | undefined {
    return this.entries.get(id);
  }

  /**
   * Applies rows in order: records (their value; null deletes the key) or plain objects (the row is the value).
   * Returns the changes of the current values, as the records that subscribers get.
   */
  apply(items: readonly unknown[]): StreamRecord<JsonValue>[] {
    const out: StreamRecord<JsonValue>[] = [];
    for (const item of items) {
      const change = this.applyOne(item);
      if (change) out.push(change);
    }
    if (this.displays.size > 0) for (const d of this.displays) d.refresh();
    return out;
  }

  /** Applies a batch and delivers its changes to subscribers (what attach() does with each batch). */
  async add(items: readonly unknown[], progress?: BatchProgress): Promise<void> {
    await this.listeners.deliver(this.apply(items), progress);
  }

  /** Follows a stream: every batch it delivers from now on is applied. Returns the function that detaches it. */
  attach(source: Stream<unknown>): () => void {
    const detach = source.subscribe((rows, progress) => this.add(rows, progress));
    this.feeds.add(detach);
    return () => {
      this.feeds.delete(detach);
      detach();
    };
  }

  subscribe(listener: BatchListener<StreamRecord<JsonValue>>): () => void {
    return this.listeners.add(listener);
  }

  onWarning(listener: (message: string) => void): () => void {
    this.warningListeners.add(listener);
    return () => this.warningListeners.delete(listener);
  }

  private warn(message: string): void {
    for (const l of this.warningListeners) l(`table '${this.name}': ${message}`);
  }

  private applyOne(item: unknown): StreamRecord<JsonValue> | undefined {
    // A tombstone has no value to read a key field from: its record key names the key it deletes.
    const key = isStreamRecord(item) && item.value === null ? (this.key.field === undefined ? this.key.read(item) : (item.key ?? undefined)) : this.key.read(item);
    const id = keyId(key);
    if (id === undefined) {
      this.m.noKey++;
      return undefined;
    }
    const record = isStreamRecord(item);
    const value = record ? item.value : item;
    const time = record ? item.time : this.rowTime(item);
    const partition = record ? item.partition : 0;
    const tombstone = value === null || value === undefined;
    let entry = this.entries.get(id);
    if (!entry && tombstone && !this.versioned) {
      // A deletion of a key the table does not hold is still a change, as a KTable forwards it: a left table-table
      // join gives the other side's row again, stamped with the deletion's time (Kafka Streams does the same).
      this.m.deletes++;
      return joinedRecord(this.name, this.changes++, key, time, partition, null);
    }
    if (!entry && this.entries.size >= this.maxKeys) {
      if (this.m.keysRefused++ === 0) this.warn(`it holds ${formatCount(this.maxKeys)} keys (maxKeys), so new keys are refused and counted (keysRefused); raise maxKeys, or key it by fewer values`);
      return undefined;
    }
    if (!tombstone && ((this.m.updates & 63) === 0 || this.valueBytes === 0)) this.valueBytes = approximateBytes(value);
    if (this.versioned) return this.applyVersion(id, key, entry, value, tombstone, time, partition);
    if (tombstone) {
      this.entries.delete(id);
      this.m.deletes++;
      return joinedRecord(this.name, this.changes++, key, time, partition, null);
    }
    if (!entry) {
      entry = { key, value, time, partition };
      this.entries.set(id, entry);
    } else {
      entry.value = value;
      entry.time = time;
      entry.partition = partition;
    }
    this.m.updates++;
    this.observed = Math.max(this.observed, time);
    return joinedRecord(this.name, this.changes++, key, time, partition, value as JsonValue);
  }

  /** Kafka Streams' versioned store: refuse what is older than the history, keep versions in time order. */
  private applyVersion(id: unknown, key: unknown, entry: Entry | undefined, value: unknown, tombstone: boolean, time: number, partition: number): StreamRecord<JsonValue> | undefined {
    if (time < this.observed - this.historyMs) {
      if (this.m.expired++ === 0) this.warn(`an update of ${formatTime(time)} came when the table's history starts at ${formatTime(this.observed - this.historyMs)} and was not applied (counted as expired); a longer history keeps late updates`);
      return undefined;
    }
    this.observed = Math.max(this.observed, time);
    if (!entry) {
      entry = { key, value: undefined, time: -Infinity, partition, versions: [] };
      this.entries.set(id, entry);
    }
    const versions = entry.versions!;
    // Insert by time; a second version of the same time replaces the first.
    let i = versions.length;
    while (i > 0 && versions[i - 1]!.time > time) i--;
    if (i > 0 && versions[i - 1]!.time === time) versions[i - 1]!.value = tombstone ? null : value;
    else {
      versions.splice(i, 0, { time, value: tombstone ? null : value });
      this.versionCount++;
    }
    tombstone ? this.m.deletes++ : this.m.updates++;
    const latest = versions[versions.length - 1]!;
    const current = latest.time === time;
    if (current) {
      const before = entry.value !== undefined;
      entry.value = latest.value ?? undefined;
      this.liveKeys += (entry.value !== undefined ? 1 : 0) - (before ? 1 : 0);
      entry.time = time;
      entry.partition = partition;
    } else this.m.outOfOrder++;
    this.prune(id, entry);
    if (++this.sinceSweep >= SWEEP_EVERY) this.sweep();
    // An update older than the key's latest version changes no current value: Kafka Streams forwards nothing for it.
    return current ? joinedRecord(this.name, this.changes++, key, time, partition, tombstone ? null : (value as JsonValue)) : undefined;
  }

  /** Drops the versions no as-of lookup inside the history can reach; a key whose last version is an old tombstone goes. */
  private prune(id: unknown, entry: Entry): void {
    const versions = entry.versions!;
    const boundary = this.observed - this.historyMs;
    let drop = 0;
    while (drop + 1 < versions.length && versions[drop + 1]!.time <= boundary) drop++;
    if (drop > 0) {
      versions.splice(0, drop);
      this.versionCount -= drop;
    }
    if (versions.length === 1 && versions[0]!.value === null && versions[0]!.time <= boundary) {
      this.entries.delete(id);
      this.versionCount--;
    } else if (versions.length === 0) this.entries.delete(id);
  }

  private sweep(): void {
    this.sinceSweep = 0;
    for (const [id, entry] of this.entries) this.prune(id, entry);
  }

  private rowTime(item: unknown): number {
    const fields = valueFields(item);
    const field = this.timeField ?? 'time';
    const v = fields?.[field];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && this.timeField !== undefined) {
      const t = Date.parse(v);
      if (Number.isFinite(t)) return t;
    }
    return 0;
  }

  metrics(): TableMetrics {
    const versions = this.versioned ? this.versionCount : this.entries.size;
    return {
      name: this.name,
      keys: this.size,
      versions,
      ...this.m,
      streamTime: this.observed,
      memoryBytes: Math.round(this.entries.size * ENTRY_OVERHEAD_BYTES + versions * (VERSION_OVERHEAD_BYTES + this.valueBytes)),
    };
  }

  /** Up to `n` keys as they are (text, numbers, bytes), for checking that a join's keys are of the same kind. */
  sampleKeys(n = 200): unknown[] {
    const out: unknown[] = [];
    for (const entry of this.entries.values()) {
      if (out.length >= n) break;
      out.push(entry.key);
    }
    return out;
  }

  /** The current rows: the key, then the value's fields (a value that is not an object as `value`). */
  rows(limit = Infinity): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const entry of this.entries.values()) {
      if (entry.value === undefined) continue;
      if (out.length >= limit) break;
      const fields = valueFields(entry.value);
      out.push({ key: outputKey(entry.key), ...(fields ?? { value: entry.value }), ...(fields && 'time' in fields ? {} : { time: entry.time }) });
    }
    return out;
  }

  toFrame(): DataFrame {
    const rows = this.rows();
    const columns: Record<string, unknown[]> = {};
    const names = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    for (const name of names) columns[name] = rows.map((r) => (r[name] === undefined ? null : r[name]));
    return frameFromColumns(columns as Record<string, (string | number | boolean | null)[]>);
  }

  /** A ticking table below the running cell: the newest-updated keys first, refreshed about once a second. */
  show(options: { rows?: number; everyMs?: number } = {}): LiveDisplay {
    const display = new LiveDisplay(() => this.bundle(options.rows ?? 20), options.everyMs ?? 1000);
    this.displays.add(display);
    display.show();
    return display;
  }

  endDisplays(): void {
    for (const d of this.displays) d.end();
    this.displays.clear();
    for (const detach of [...this.feeds]) detach();
    this.feeds.clear();
  }

  private bundle(limit: number): MimeBundle {
    const newest = [...this.entries.values()].filter((e) => e.value !== undefined).sort((a, b) => b.time - a.time).slice(0, limit);
    const rows = newest.map((e) => ({ key: outputKey(e.key), ...(valueFields(e.value) ?? { value: e.value }), updated: e.time }));
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const m = this.metrics();
    const history = this.versioned ? ` · versioned, ${formatDuration(this.historyMs)} of history (${formatCount(m.versions)} versions)` : '';
    const asides = [m.deletes && `${formatCount(m.deletes)} deleted`, m.noKey && `${formatCount(m.noKey)} without a key`, m.expired && `${formatCount(m.expired)} expired`, m.keysRefused && `${formatCount(m.keysRefused)} keys refused`].filter(Boolean);
    return tableBundle({
      caption: `table '${this.name}': ${formatCount(m.keys)} keys by ${this.key.describe}${history}; the ${formatCount(rows.length)} updated last${asides.length ? ` · ${asides.join(', ')}` : ''}`,
      columns,
      rows: rows.map((r) => columns.map((c) => (r as Record<string, unknown>)[c] ?? null)),
      total: rows.length,
      note: rows.length === 0 ? (m.updates + m.deletes + m.noKey === 0 ? 'no rows yet: nothing has been applied to it' : `no key has a value now: ${asides.join(', ') || 'every key was deleted'}`) : undefined,
    });
  }

  [MIME_BUNDLE](): MimeBundle {
    return this.bundle(20);
  }
}

function approximateBytes(value: unknown): number {
  try {
    return 2 * (JSON.stringify(value)?.length ?? 8);
  } catch {
    return 64;
  }
}
