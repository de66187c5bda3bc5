/**
 * Two tables joined by key (Kafka Streams' KTable-KTable join): every change of either side gives the key's new
 * result, as Kafka Streams emits with caching off: inner when both sides have the key, left when the left side has
 * it, outer when either has it; a change that ends a result (a deletion) gives a tombstone (value null). Its time is
 * the later of the two sides' times. The join is itself a table (`result`): the current result per key.
 */
import { isStreamRecord, type JsonValue, type Stream, type StreamRecord } from '../record';
import { TimeOrderedMerge } from './timeOrderedMerge';
import { StreamlabError } from '../errors';
import { JoinOutput } from './joinOutput';
import { keyId } from './joinKey';
import { Joiner, joinedRecord, nestingJoiner } from './joinedRecord';
import { KeyedTable } from './keyedTable';

export type TableJoinKind = 'inner' | 'left' | 'outer';

export interface TableTableJoinOptions {
  left: KeyedTable;
  right: KeyedTable;
  kind?: TableJoinKind;
  joiner?: Joiner;
  /** Its newest results kept (default 20,000), for recent() and for what attaches to it later (a window, a chart). */
  keep?: number;
  name?: string;
}

export interface TableTableJoinMetrics {
  name: string;
  kind: TableJoinKind;
  /** Changes in, both tables (what every join calls its records in). */
  records: number;
  changes: number;
  /** Changes that gave a joined result (not a deletion). */
  joined: number;
  results: number;
  tombstones: number;
  keys: number;
  memoryBytes: number;
}

export class TableTableJoin extends JoinOutput {
  readonly kind: TableJoinKind;
  /** The current result of every key, as a table (get, rows, show). */
  readonly result: KeyedTable;
  private readonly joiner: Joiner;
  private readonly m = { changes: 0, results: 0, tombstones: 0, emitted: 0 };
  private detachers: (() => void)[] = [];

  constructor(private readonly options: TableTableJoinOptions) {
    super(options.name ?? `${options.left.name}-${options.right.name}-join`, options.keep);
    this.kind = options.kind ?? 'inner';
    if (!['inner', 'left', 'outer'].includes(this.kind)) throw new StreamlabError(`a table-table join is inner, left or outer, got '${String(this.kind)}'`, 'pick kind inner, left or outer');
    this.joiner = options.joiner ?? nestingJoiner(options.right.name, this.kind === 'outer' ? options.left.name : undefined);
    this.result = new KeyedTable({ name: this.name });
  }

  /** Follows both tables' changes from now on (what each already holds is joined by joinExisting()). */
  start(): this {
    this.detachers.push(this.options.left.subscribe((changes) => this.deliver(this.onChanges(0, changes))));
    this.detachers.push(this.options.right.subscribe((changes) => this.deliver(this.onChanges(1, changes))));
    return this;
  }

  /**
   * Feeds both tables from two streams (their topics' changelogs) and joins each change as it is applied, the two
   * taken in event-time order per partition as a Kafka Streams task takes them (see TimeOrderedMerge): the results,
   * and the time of each (the later of the two sides'), then do not depend on which topic was fetched first.
   * Use instead of start(). Returns the function that detaches both.
   */
  follow(left: Stream<unknown>, right: Stream<unknown>): () => void {
    const tables = [this.options.left, this.options.right] as const;
    let out: StreamRecord<JsonValue>[] = [];
    const merge = new TimeOrderedMerge(
      (side, item) => {
        out.push(...this.onChanges(side, tables[side].apply([item])));
      },
      async () => {
        const rows = out;
        out = [];
        await this.deliver(rows);
      },
      (_side, item) => (isStreamRecord(item) ? item.time : 0),
    );
    merge.setSource(0, left);
    merge.setSource(1, right);
    const a = left.subscribe((rows, progress) => merge.push(0, rows, progress));
    const b = right.subscribe((rows, progress) => merge.push(1, rows, progress));
    const stop = () => {
      a();
      b();
      merge.stop();
    };
    this.detachers.push(stop);
    return stop;
  }

  /** The results of what both tables hold now, as if each left row had just arrived (a join started on loaded tables). */
  joinExisting(): StreamRecord<JsonValue>[] {
    const changes: StreamRecord<JsonValue>[] = [];
    const { left, right } = this.options;
    const seen = new Set<unknown>();
    for (const table of this.kind === 'inner' || this.kind === 'left' ? [left] : [left, right]) {
      for (const row of table.rows()) {
        const id = keyId(row.key);
        if (seen.has(id)) continue;
        seen.add(id);
        const out = this.resultFor(row.key, table === left ? 0 : 1, table.get(row.key), table.timeOf(row.key) ?? 0, 0);
        if (out) changes.push(out);
      }
    }
    this.result.apply(changes);
    return changes;
  }

  /** The results of changes of one side (records whose value is the new value, null for a deletion). */
  onChanges(side: 0 | 1, changes: readonly StreamRecord<JsonValue>[]): StreamRecord<JsonValue>[] {
    const out: StreamRecord<JsonValue>[] = [];
    for (const c of changes) {
      this.m.changes++;
      const r = this.resultFor(c.key, side, c.value, c.time, c.partition);
      if (r) out.push(r);
    }
    this.result.apply(out);
    return out;
  }

  private resultFor(key: unknown, side: 0 | 1, value: unknown, time: number, partition: number): StreamRecord<JsonValue> | undefined {
    const otherTable = side === 0 ? this.options.right : this.options.left;
    const other = otherTable.get(key);
    const otherTime = otherTable.timeOf(key);
    const mine = value === null || value === undefined ? undefined : value;
    const left = side === 0 ? mine : other;
    const right = side === 0 ? other : mine;
    let emit: boolean;
    if (this.kind === 'inner') emit = other !== undefined;
    else if (this.kind === 'left') emit = side === 0 || other !== undefined;
    else emit = true;
    if (!emit) return undefined;
    let joined: JsonValue | null;
    if (this.kind === 'inner') joined = left !== undefined && right !== undefined ? this.joiner(left, right) : null;
    else if (this.kind === 'left') joined = left !== undefined ? this.joiner(left, right ?? null) : null;
    else joined = left !== undefined || right !== undefined ? this.joiner(left ?? null, right ?? null) : null;
    joined === null ? this.m.tombstones++ : this.m.results++;
    return joinedRecord(this.name, this.m.emitted++, key, otherTime === undefined ? time : Math.max(time, otherTime), partition, joined);
  }

  private deliver(rows: StreamRecord<JsonValue>[]): Promise<void> {
    return this.listeners.deliver(rows);
  }

  get(key: unknown): unknown {
    return this.result.get(key);
  }

  metrics(): TableTableJoinMetrics {
    const r = this.result.metrics();
    return { name: this.name, kind: this.kind, records: this.m.changes, changes: this.m.changes, joined: this.m.results, results: this.m.results, tombstones: this.m.tombstones, keys: r.keys, memoryBytes: r.memoryBytes };
  }

  stop(): void {
    for (const d of this.detachers) d();
    this.detachers = [];
  }
}
