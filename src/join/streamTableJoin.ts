/**
 * A stream joined with a table (Kafka Streams' KStream-KTable join): each record of the stream looks its key up in
 * the table once, when it is processed, and a later table update never changes a result already given. On a
 * versioned table the lookup is as of the record's event time (the version valid then), so results do not depend
 * on whether a table update was read before or after the record; otherwise it is as of arrival (the value the table
 * holds when the record is processed), as Kafka Streams does with an unversioned table. The key is the record key or
 * a field of its value (a foreign key: payment.cardId -> cards), as Kafka Streams' GlobalKTable join takes a key
 * selector.
 */
import { type BatchProgress, type JsonValue, type Stream, type StreamRecord, isStreamRecord, isWindowResult } from '../record';
import { StreamlabError } from '../errors';
import { JoinOutput } from './joinOutput';
import { KeyOption, KeyReader, keyId, keyReader } from './joinKey';
import { Joiner, joinedRecord, nestingJoiner, originOf, sideValue } from './joinedRecord';
import { AsideRecords, type AsideRecord } from './asideRecords';
import type { KeyedTable } from './keyedTable';

export interface StreamTableJoinOptions {
  table: KeyedTable;
  /** inner (default): only records that find a row; left: every record, with null where none is found. */
  kind?: 'inner' | 'left';
  /** The stream's key: the record key (default), a field of its value (a dotted path), or a function. */
  key?: KeyOption;
  /** Builds each result from the two values (default: the record's fields with the table's row under its name). */
  joiner?: Joiner;
  /** Its newest results kept (default 20,000), for recent() and for what attaches to it later (a window, a chart). */
  keep?: number;
  /** The output's name (its records' topic). Default `<table>-join`. */
  name?: string;
  /** Look up as of the record's event time (versioned tables only; their default) or as of arrival. */
  asOf?: 'event-time' | 'arrival';
  /** How many unmatched records to keep aside for inspection (default 1000); all are counted. */
  keepAside?: number;
}

export interface StreamTableJoinMetrics {
  name: string;
  kind: 'inner' | 'left';
  asOf: 'event-time' | 'arrival';
  records: number;
  /** Records that found a row. */
  joined: number;
  /** Records that found none (a left join emits them with null; an inner join keeps them aside). */
  unmatched: number;
  /** Records without a key (a left join emits them with null, as Kafka Streams does since 3.7; an inner join sets them aside). */
  noKey: number;
  /** Records without a value (tombstones on a stream): skipped, as Kafka Streams skips them. */
  noValue: number;
  emitted: number;
  memoryBytes: number;
}

export class StreamTableJoin extends JoinOutput {
  readonly kind: 'inner' | 'left';
  readonly asOf: 'event-time' | 'arrival';
  private readonly key: KeyReader;
  private readonly joiner: Joiner;
  private readonly aside: AsideRecords;
  private readonly m = { records: 0, joined: 0, unmatched: 0, noKey: 0, noValue: 0, emitted: 0 };

  constructor(readonly options: StreamTableJoinOptions) {
    super(options.name ?? `${options.table.name}-join`, options.keep);
    const { table } = options;
    this.kind = options.kind ?? 'inner';
    if (this.kind !== 'inner' && this.kind !== 'left') {
      throw new StreamlabError(`a stream-table join is inner or left, got '${String(this.kind)}'`, 'a stream joins a table with kind inner or left (outer joins are for two streams or two tables)');
    }
    this.asOf = options.asOf ?? (table.versioned ? 'event-time' : 'arrival');
    if (this.asOf === 'event-time' && !table.versioned) {
      throw new StreamlabError(`joining as of event time needs a versioned table, and table '${table.name}' is not versioned`, 'make the table versioned (versioned: { historyMs }, or --versioned --history 1h), or join as of arrival');
    }
    this.key = keyReader(options.key);
    this.joiner = options.joiner ?? nestingJoiner(table.name);
    this.aside = new AsideRecords(options.keepAside ?? 1000);
  }

  /** Joins a batch of stream records and returns the results (in input order). */
  join(items: readonly unknown[]): StreamRecord<JsonValue>[] {
    const out: StreamRecord<JsonValue>[] = [];
    const table = this.options.table;
    const eventTime = this.asOf === 'event-time';
    for (const item of items) {
      this.m.records++;
      const value = sideValue(item);
      const record = isStreamRecord(item);
      const time = record ? item.time : timeOfRow(item);
      const partition = record ? item.partition : 0;
      if (value === null || value === undefined) {
        this.m.noValue++;
        this.aside.add('left', 'no value', originOf(item, time, undefined));
        continue;
      }
      const key = this.key.read(item);
      const id = keyId(key);
      if (id === undefined) {
        this.m.noKey++;
        // As Kafka Streams (since 3.7): a left join keeps a record without a key, with null; an inner join skips it.
        if (this.kind === 'left') out.push(joinedRecord(this.name, this.m.emitted++, null, time, partition, this.joiner(value, null)));
        else this.aside.add('left', 'no key', originOf(item, time, key));
        continue;
      }
      const found = eventTime ? table.versionAt(id, time)?.value : table.entryById(id)?.value;
      if (found === undefined) {
        this.m.unmatched++;
        if (this.kind === 'left') out.push(joinedRecord(this.name, this.m.emitted++, key, time, partition, this.joiner(value, null)));
        else this.aside.add('left', `no '${table.name}' row`, originOf(item, time, key));
        continue;
      }
      this.m.joined++;
      out.push(joinedRecord(this.name, this.m.emitted++, key, time, partition, this.joiner(value, found)));
    }
    return out;
  }

  /** Joins a batch and delivers the results to subscribers. */
  async add(items: readonly unknown[], progress?: BatchProgress): Promise<void> {
    // Results keep their record's partition, so the input's progress is theirs, under the join's name (their topic):
    // a window of the join then holds its watermark for partitions with records still to come, as for a topic.
    await this.listeners.deliver(this.join(items), progress && { topic: this.name, partitions: progress.partitions });
  }

  /** Joins every batch `stream` delivers from now on; returns the function that detaches it. */
  attach(stream: Stream<unknown>): () => void {
    return stream.subscribe((rows, progress) => this.add(rows, progress));
  }

  /** The records it left out (no row in the table, no key, no value), newest last, with where each came from. */
  setAside(n?: number): AsideRecord[] {
    return this.aside.list(n);
  }

  get asideByReason(): Record<string, number> {
    return { ...this.aside.byReason };
  }

  metrics(): StreamTableJoinMetrics {
    return { name: this.name, kind: this.kind, asOf: this.asOf, ...this.m, memoryBytes: this.options.table.metrics().memoryBytes };
  }
}

/** Event time of a plain row: its `time` field when it holds a number, else 0. */
export function timeOfRow(item: unknown): number {
  // A window's result: its end, as a window's time is everywhere else.
  if (isWindowResult(item)) return item.windowEnd;
  const t = (item as { time?: unknown } | null)?.time;
  return typeof t === 'number' && Number.isFinite(t) ? t : 0;
}
